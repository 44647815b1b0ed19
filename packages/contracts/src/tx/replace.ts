/**
 * Explicit control over a transaction already signed: `wait` for it, `speedUp` (same call, same nonce, fees raised by
 * the step) or `cancel` (a zero-value transfer to ourselves at the same nonce), and `pending` (the journal's
 * unresolved intents with their chain status). Whichever transaction of the nonce is mined is the outcome.
 */
import type { ChainShape, RpcError } from "@0g-compute/core"
import { Effect } from "effect"
import { keccak256, Transaction, type TransactionRequest, type TransactionResponse } from "ethers"
import { entryOf, type JournalEntry, sameChain, type TxJournalShape } from "../journal.js"
import { type EngineCore, NO_HASH } from "./core.js"
import {
  GasPriceAboveMax,
  NonceConsumed,
  NotOwnTransaction,
  PendingIntentExists,
  TransactionAlreadyMined,
  TransactionNotFound,
} from "./errors.js"
import type { Fees } from "./fees.js"
import { replacementFees } from "./fees.js"
import { checkNumber } from "./options.js"
import { isCancelOf, rejectedError, type TxResult } from "./outcome.js"

export interface ReplaceResult extends TxResult {
  /** The hash of the replacement (or cancellation) that was signed. */
  readonly replacement: string
  /** True when the replacement was mined; false when the original was mined first. */
  readonly replaced: boolean
}

export interface PendingIntent {
  readonly intent: string
  /** The newest transaction of the intent (after replacements). */
  readonly hash: string
  readonly hashes: ReadonlyArray<string>
  readonly nonce: number
  readonly to: string
  readonly value: bigint
  readonly createdAt: string
  /** What the chain says now: `dropped` = unknown with its nonce still free (the same bytes can be sent again). */
  readonly state: "pending" | "mined" | "reverted" | "dropped" | "nonce-used"
  readonly blockNumber?: number
}

export interface ReplaceDeps {
  readonly core: EngineCore
  readonly chain: ChainShape
  readonly from: string
  readonly journal: TxJournalShape
  readonly bumpPercent: number
  readonly maximum: bigint | undefined
  readonly networkFees: Effect.Effect<Fees, RpcError>
  readonly tracked: <A, E, R>(id: string, eff: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly genesis: Effect.Effect<string>
}

const lower = (s: string) => s.toLowerCase()

/** What a replacement copies from the transaction it replaces (a parsed signed tx or the node's copy). */
type Signed = Pick<
  Transaction,
  "to" | "data" | "value" | "gasLimit" | "type" | "gasPrice" | "maxFeePerGas" | "maxPriorityFeePerGas"
>

/** The signed bytes of a node's transaction, or "" when they cannot be rebuilt. */
const serializedOf = (tx: TransactionResponse): string => {
  try {
    return Transaction.from({ ...tx, signature: tx.signature }).serialized
  } catch {
    return ""
  }
}
const last = (xs: ReadonlyArray<string>) => xs[xs.length - 1] as string

export const makeReplace = ({
  core,
  chain,
  from,
  journal,
  bumpPercent,
  maximum,
  networkFees,
  tracked,
  genesis,
}: ReplaceDeps) => {
  const provider = chain.provider
  const ours = Effect.gen(function* () {
    const g = yield* genesis
    return (yield* journal.entries).filter((e) => sameChain(e, from, chain.chainId, g))
  })

  /** The journal entry of `hash`, or one made from the node's copy of a transaction the journal never saw. */
  const locate = (hash: string) =>
    Effect.gen(function* () {
      const known = entryOf(yield* ours, hash)
      if (known !== undefined) return known
      const tx = yield* core.rpc("eth_getTransactionByHash", () => provider.getTransaction(hash))
      if (tx === null) return yield* new TransactionNotFound({ hash })
      if (lower(tx.from) !== lower(from)) return yield* new NotOwnTransaction({ hash, from: tx.from, address: from })
      const raw = serializedOf(tx)
      const g = yield* genesis
      const entry: JournalEntry = {
        id: tx.hash,
        intent: `tx:${tx.hash}`,
        chainId: chain.chainId.toString(),
        ...(g === "" ? {} : { genesis: g }),
        from,
        to: tx.to ?? from,
        nonce: tx.nonce,
        value: tx.value.toString(),
        dataDigest: keccak256(tx.data),
        hashes: [tx.hash],
        raws: [raw],
        createdAt: new Date().toISOString(),
      }
      return entry
    })

  const wait = (hash: string, options: { readonly timeoutMs?: number } = {}) =>
    Effect.flatMap(checkNumber("timeoutMs", options.timeoutMs, "positive"), (ms) =>
      Effect.flatMap(locate(hash), (entry) =>
        // Waiting for a cancellation by its own hash: it being mined is what was asked for.
        tracked(entry.id, core.settle(entry, undefined, true, ms, isCancelOf(entry, hash))),
      ),
    ).pipe(Effect.withSpan("TxEngine.wait"))

  /** The call and fees of the newest signed transaction of the entry, from its recorded bytes or the node. */
  const newest = (entry: JournalEntry) =>
    Effect.gen(function* () {
      const raw = entry.raws[entry.raws.length - 1]
      if (raw !== undefined && raw !== "") return Transaction.from(raw) as Signed
      const tx = yield* core.rpc("eth_getTransactionByHash", () => provider.getTransaction(last(entry.hashes)))
      if (tx === null) return yield* new TransactionNotFound({ hash: last(entry.hashes) })
      return tx as Signed
    })

  const feesOf = (tx: Signed): Fees =>
    tx.type === 2
      ? { type: 2, maxFeePerGas: tx.maxFeePerGas ?? 0n, maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? 0n }
      : { type: 0, gasPrice: tx.gasPrice ?? 0n }

  const replaceWith = (hash: string, cancel: boolean, percent: number) =>
    Effect.gen(function* () {
      const entry = yield* locate(hash)
      const status = yield* core.statusOf(entry.hashes, entry.nonce, entry)
      if (status._tag === "Mined") {
        yield* core.resolve(entry, status.receipt.status === 1 ? "mined" : "reverted", status.receipt.hash)
        return yield* new TransactionAlreadyMined({
          hash: status.receipt.hash,
          blockNumber: status.receipt.blockNumber,
        })
      }
      if (status._tag === "Unknown" && status.nonceUsed) {
        yield* core.resolve(entry, "void")
        return yield* new NonceConsumed({ hash: last(entry.hashes), nonce: entry.nonce })
      }
      // Speeding up a cancellation keeps it a cancellation.
      const cancelling = cancel || isCancelOf(entry, last(entry.hashes))
      const prev = yield* newest(entry)
      const fees = replacementFees(feesOf(prev), percent, yield* networkFees, maximum)
      if ("required" in fees) return yield* new GasPriceAboveMax({ required: fees.required, maximum: maximum ?? 0n })
      const feeFields =
        fees.type === 2
          ? { type: 2, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }
          : { type: 0, gasPrice: fees.gasPrice }
      const tx: TransactionRequest & { nonce: number; to: string } = cancelling
        ? {
            to: from,
            data: "0x",
            value: 0n,
            gasLimit: 21_000n,
            nonce: entry.nonce,
            chainId: chain.chainId,
            ...feeFields,
          }
        : {
            to: prev.to ?? from,
            data: prev.data,
            value: prev.value,
            gasLimit: prev.gasLimit,
            nonce: entry.nonce,
            chainId: chain.chainId,
            ...feeFields,
          }
      const replaceAndSettle = Effect.gen(function* () {
        const updated = yield* core
          .submit(entry.intent, tx, {
            extend: entry,
            cancel: cancelling,
            ...(entry.contract === undefined ? {} : { contract: entry.contract }),
          })
          .pipe(Effect.catchTag("Rejected", (r) => Effect.fail(rejectedError(r))))
        const replacement = last(updated.hashes)
        const result = yield* core.settle(updated, undefined, false, undefined, cancelling)
        return { ...result, replacement, replaced: lower(result.hash) === lower(replacement) } satisfies ReplaceResult
      })
      return yield* tracked(entry.id, replaceAndSettle)
    })

  const replaceChecked = (hash: string, cancel: boolean, percent: number | undefined) =>
    Effect.flatMap(checkNumber("bumpPercent", percent, "finite"), (p) =>
      replaceWith(hash, cancel, Math.max(10, p ?? bumpPercent)),
    )
  const speedUp = (hash: string, options: { readonly bumpPercent?: number } = {}) =>
    replaceChecked(hash, false, options.bumpPercent).pipe(Effect.withSpan("TxEngine.speedUp"))
  const cancel = (hash: string, options: { readonly bumpPercent?: number } = {}) =>
    replaceChecked(hash, true, options.bumpPercent).pipe(Effect.withSpan("TxEngine.cancel"))

  const pending = Effect.gen(function* () {
    const open = (yield* ours).filter((e) => e.resolved === undefined)
    const out: PendingIntent[] = []
    for (const e of open) {
      const status = yield* core.statusOf(e.hashes, e.nonce, e)
      const base = {
        intent: e.intent,
        hash: last(e.hashes) ?? NO_HASH,
        hashes: e.hashes,
        nonce: e.nonce,
        to: e.to,
        value: BigInt(e.value),
        createdAt: e.createdAt,
      }
      if (status._tag === "Mined") {
        const ok = status.receipt.status === 1
        const outcome = !ok ? "reverted" : isCancelOf(e, status.receipt.hash) ? "cancelled" : "mined"
        yield* core.resolve(e, outcome, status.receipt.hash)
        out.push({
          ...base,
          hash: status.receipt.hash,
          state: ok ? "mined" : "reverted",
          blockNumber: status.receipt.blockNumber,
        })
      } else if (status._tag === "Pending") out.push({ ...base, hash: status.hash, state: "pending" })
      else {
        // Without a hash, a used nonce may be ours: only a send of the intent (which searches for it) settles it.
        if (status.nonceUsed && e.hashes.length > 0) yield* core.resolve(e, "void")
        out.push({ ...base, state: status.nonceUsed ? "nonce-used" : "dropped" })
      }
    }
    return out as ReadonlyArray<PendingIntent>
  }).pipe(Effect.withSpan("TxEngine.pending"))

  const pendingIntent = (intent: string, hash: string, nonce: number) =>
    new PendingIntentExists({ intent, hash, nonce })

  return { wait, speedUp, cancel, pending, pendingIntent }
}
