/**
 * What the transaction engine reports and reasons with: a transaction's result, its status on chain, a node's
 * definite refusal, and how a cancellation is recognised among an intent's transactions.
 */
import { RpcError } from "@0g-compute/core"
import { Data, Effect } from "effect"
import { Transaction, type TransactionReceipt } from "ethers"
import type { ContractName } from "../clients.js"
import type { ContractRevert } from "../errors.js"
import type { JournalEntry } from "../journal.js"
import type { SendFailure } from "./fees.js"

export interface TxResult {
  readonly hash: string
  readonly nonce: number
  readonly blockNumber: number
  readonly gasUsed: bigint
  readonly effectiveGasPrice: bigint
  /** gasUsed × effectiveGasPrice, in neuron. */
  readonly fee: bigint
  /** True when this is an earlier, unresolved transaction of the same intent found in the journal: nothing new was sent. */
  readonly resumed?: boolean
}

/** What a replayed revert needs to know about the call. */
export interface CallInfo {
  readonly to: string
  readonly data: string
  readonly value: bigint
  readonly contract?: ContractName | undefined
}

export type ChainStatus =
  | { readonly _tag: "Mined"; readonly receipt: TransactionReceipt }
  | { readonly _tag: "Pending"; readonly hash: string }
  /** `nonceUsed`: the block that used the nonce shows another transaction there, so ours can never be mined. */
  | { readonly _tag: "Unknown"; readonly nonceUsed: boolean }

/** The node definitively refused a transaction it does not know. Internal to the engine. */
export class Rejected extends Data.TaggedError("Rejected")<{
  readonly kind: SendFailure
  readonly cause: unknown
  readonly revert: ContractRevert | undefined
  /** The recorded entry, when the transaction was signed locally. */
  readonly entry: JournalEntry | undefined
  /** The nonce it was sent at. */
  readonly nonce: number
}> {}

/** A refusal as the typed error a caller of `speedUp`/`cancel` gets. */
export const rejectedError = (r: Rejected) =>
  r.revert ?? new RpcError({ method: "eth_sendRawTransaction", cause: r.cause })

export const rpc = <A>(method: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (cause) => new RpcError({ method, cause }) })

/**
 * Whether `hash` is a cancellation of the entry: the recorded `cancelHash`, or any recorded zero-value, empty-call
 * self-transfer (a sped-up cancellation replaces `cancelHash`, but the earlier one may still be the one mined).
 */
export const isCancelOf = (entry: JournalEntry, hash: string) => {
  const h = hash.toLowerCase()
  if (entry.cancelHash?.toLowerCase() === h) return true
  const i = entry.hashes.findIndex((x) => x.toLowerCase() === h)
  const raw = i < 0 ? "" : (entry.raws[i] ?? "")
  if (raw === "" || entry.to.toLowerCase() === entry.from.toLowerCase()) return false
  const tx = Transaction.from(raw)
  return tx.to?.toLowerCase() === entry.from.toLowerCase() && tx.value === 0n && tx.data === "0x"
}
