/**
 * The transaction engine: every write of the SDK goes through `TxEngine.send`, and each send is an *intent with
 * exactly one outcome*.
 *
 * 1. an unresolved journal entry for the same intent (a crash, hang-up or timeout earlier) is settled first and its
 *    outcome returned, instead of paying twice;
 * 2. preflight: wallet balance ≥ value; gas estimate (a revert here is decoded and nothing is sent) plus headroom;
 *    fees (network, or the fixed `gasPrice`) under `maxGasPrice`; balance ≥ value + gasLimit × max price;
 * 3. under the signer's nonce lock (nonce.ts): sign once locally, so the hash is known before broadcasting, record it
 *    in the journal, broadcast; any send error is checked against the chain (core.ts) before anything else happens;
 * 4. receipt wait; a timeout asks the chain again and reports the hash. Replacement and cancellation happen only when
 *    asked for (`speedUp`, `cancel`, replace.ts).
 *
 * A new signature at another nonce is made only after the node refused ours as "nonce too low" *and* the chain shows
 * our transaction unknown with its nonce used by another one (the block that used it names it, nonce-user.ts): then it
 * can never be mined, so at most one transaction pays.
 */
import { Chain, InsufficientBalance, RpcError, Wallet } from "@0g-compute/core"
import { Context, Effect, Layer } from "effect"
import { keccak256 } from "ethers"
import type { ContractName } from "../clients.js"
import type { ContractRevert, TransactionReverted, TransactionTimeout } from "../errors.js"
import { type JournalEntry, memoryTxJournal, sameChain, TxJournal, type TxJournalShape } from "../journal.js"
import { revertFromError } from "../revert.js"
import { makeCore } from "./core.js"
import {
  GasPriceAboveMax,
  type InvalidTxOption,
  NonceConsumed,
  type NotOwnTransaction,
  type PendingIntentExists,
  type TransactionAlreadyMined,
  type TransactionCancelled,
  type TransactionNotFound,
  type TransactionOutcomeUnknown,
  type TxJournalError,
} from "./errors.js"
import { capFees, type Fees, maxPricePerGas, replacementFees, withHeadroom } from "./fees.js"
import { nonceSlot, withNonce } from "./nonce.js"
import { checkTxOptions } from "./options.js"
import type { CallInfo, TxResult } from "./outcome.js"
import { makeReplace, type PendingIntent, type ReplaceResult } from "./replace.js"

export type { TxResult } from "./outcome.js"
export type { PendingIntent, ReplaceResult } from "./replace.js"

export interface TxRequest {
  readonly to: string
  readonly data: string
  /** Native value in neuron. */
  readonly value?: bigint
  /** The contract called, so its custom errors are decoded first. */
  readonly contract?: ContractName
  /** Skip estimation and use this gas limit as is. */
  readonly gasLimit?: bigint
  /** Use this nonce (to replace a pending transaction) instead of the signer's next one. */
  readonly nonce?: number
  /**
   * What the operation is ("ledger.deposit:<address>:<neuron>"): while an earlier transaction with the same intent
   * is unresolved, a send settles that one instead of paying again. Default: the call itself (to, value, calldata).
   */
  readonly intent?: string
  /** Called once the transaction is accepted by the node, before waiting for the receipt. */
  readonly onSubmitted?: (hash: string) => void
}

export type TxError =
  | ContractRevert
  | TransactionReverted
  | TransactionTimeout
  | TransactionOutcomeUnknown
  | TransactionCancelled
  | NonceConsumed
  | PendingIntentExists
  | GasPriceAboveMax
  | TxJournalError
  | InsufficientBalance
  | RpcError

/** Errors of `wait`, `speedUp` and `cancel`. */
export type TxControlError =
  | TxError
  | TransactionNotFound
  | TransactionAlreadyMined
  | NotOwnTransaction
  | InvalidTxOption

export interface TxEngineOptions {
  /** Added to the gas estimate. Default 20. */
  readonly gasHeadroomPercent?: number
  /** How long to wait for a receipt. Default 120 000 ms. */
  readonly receiptTimeoutMs?: number
  /** Broadcast attempts of the same signed bytes, and of underpriced/stale-nonce retries. Default 4. */
  readonly maxAttempts?: number
  /** The fee step of a replacement (underpriced retry, `speedUp`, `cancel`), at least 10. Default 12.5. */
  readonly feeBumpPercent?: number
  /** Receipt polling interval. Default: the provider's polling interval, within [50, 4000] ms. */
  readonly receiptPollMs?: number
  /** A fixed gas price in neuron (wei) per gas: legacy transactions at this price instead of the network's fees. */
  readonly gasPrice?: bigint
  /** Never sign above this price per gas (neuron); `GasPriceAboveMax` when the network needs more. */
  readonly maxGasPrice?: bigint
  /** Where signed transactions are recorded before broadcast. Default: a `TxJournal` in context, else memory. */
  readonly journal?: TxJournalShape
}

export interface TxEngineShape {
  /** The sending address. */
  readonly address: string
  /** Estimates gas for a request from this signer; a revert is decoded. */
  readonly estimateGas: (req: TxRequest) => Effect.Effect<bigint, ContractRevert | InsufficientBalance | RpcError>
  /** Sends and waits for the receipt. */
  readonly send: (req: TxRequest) => Effect.Effect<TxResult, TxError>
  /** Waits for a transaction of this wallet (or any of its same-nonce replacements) and reports its outcome. */
  readonly wait: (hash: string, options?: { readonly timeoutMs?: number }) => Effect.Effect<TxResult, TxControlError>
  /** Replaces a pending transaction with the same one at fees raised by `bumpPercent` (≥ 10). */
  readonly speedUp: (
    hash: string,
    options?: { readonly bumpPercent?: number },
  ) => Effect.Effect<ReplaceResult, TxControlError>
  /** Replaces a pending transaction with a zero-value transfer to itself at the same nonce. */
  readonly cancel: (
    hash: string,
    options?: { readonly bumpPercent?: number },
  ) => Effect.Effect<ReplaceResult, TxControlError>
  /** Unresolved journal entries of this wallet on this chain, each with what the chain says about it now. */
  readonly pending: Effect.Effect<ReadonlyArray<PendingIntent>, TxJournalError | RpcError>
  /** The journal in use. */
  readonly journal: TxJournalShape
}

export class TxEngine extends Context.Service<TxEngine, TxEngineShape>()("zg/contracts/TxEngine") {
  /**
   * The engine (`TxEngine.layer()` for the defaults); needs `Wallet` and `Chain` (and uses a `TxJournal` when one is
   * provided).
   */
  static readonly layer = (options: TxEngineOptions = {}) =>
    Layer.effect(
      TxEngine,
      Effect.suspend(() => makeTxEngine(options)),
    )
}

// Without a journal in options or context, engines over the same provider and address share one in memory, like
// their nonce slot, so two facades of one process see each other's unresolved intents.
const memoryJournals = new WeakMap<object, Map<string, TxJournalShape>>()
const sharedMemoryJournal = (provider: object, address: string) => {
  let byAddress = memoryJournals.get(provider)
  if (!byAddress) {
    byAddress = new Map()
    memoryJournals.set(provider, byAddress)
  }
  let j = byAddress.get(address.toLowerCase())
  if (!j) {
    j = memoryTxJournal()
    byAddress.set(address.toLowerCase(), j)
  }
  return j
}

export const defaultIntent = (req: Pick<TxRequest, "to" | "data" | "value">) =>
  `call:${req.to.toLowerCase()}:${(req.value ?? 0n).toString()}:${keccak256(req.data)}`

export const makeTxEngine = (options: TxEngineOptions = {}) =>
  Effect.gen(function* () {
    yield* checkTxOptions(options)
    const chain = yield* Chain
    const wallet = yield* Wallet
    const fromContext = yield* Effect.serviceOption(TxJournal)
    const headroom = options.gasHeadroomPercent ?? 20
    const timeoutMs = options.receiptTimeoutMs ?? 120_000
    const maxAttempts = Math.max(1, options.maxAttempts ?? 4)
    const bumpPercent = Math.max(10, options.feeBumpPercent ?? 12.5)
    const provider = chain.provider
    const from = wallet.address
    const slot = nonceSlot(provider, from)
    const journal =
      options.journal ?? (fromContext._tag === "Some" ? fromContext.value : sharedMemoryJournal(provider, from))
    // Our own polling rather than provider.waitForTransaction: ethers' block subscriber ignores a block mined before
    // it started (the normal case on an automining devnet) and can then wait for a block that never comes.
    const pollMs =
      options.receiptPollMs ??
      Math.min(4_000, Math.max(50, (provider as { pollingInterval?: number }).pollingInterval ?? 1_000))
    // Block 0's hash, read once on first use; "" when the node will not say (entries then match by chain id alone).
    let genesisHash: string | undefined
    const genesis: Effect.Effect<string> = Effect.suspend(() =>
      genesisHash !== undefined
        ? Effect.succeed(genesisHash)
        : Effect.tryPromise(() => provider.getBlock(0)).pipe(
            Effect.map((b) => b?.hash ?? ""),
            Effect.orElseSucceed(() => ""),
            Effect.tap((h) =>
              Effect.sync(() => {
                if (h !== "") genesisHash = h
              }),
            ),
          ),
    )
    const core = makeCore({ chain, wallet, slot, journal, timeoutMs, maxAttempts, pollMs, genesis })
    const rpc = <A>(method: string, f: () => Promise<A>) =>
      Effect.tryPromise({ try: f, catch: (cause) => new RpcError({ method, cause }) })

    const balance = rpc("eth_getBalance", () => provider.getBalance(from))
    const short = (required: bigint, available: bigint) =>
      new InsufficientBalance({ what: "wallet balance", required, available })

    const estimateGas = Effect.fn("TxEngine.estimateGas")(function* (req: TxRequest) {
      const value = req.value ?? 0n
      if (value > 0n) {
        const have = yield* balance
        if (have < value) return yield* short(value, have)
      }
      return yield* Effect.tryPromise({
        try: () => provider.estimateGas({ from, to: req.to, data: req.data, value }),
        catch: (cause) => revertFromError(cause, req.contract) ?? new RpcError({ method: "eth_estimateGas", cause }),
      })
    })

    const networkFees = Effect.gen(function* () {
      const f = yield* rpc("eth_feeHistory", () => provider.getFeeData())
      if (f.maxFeePerGas !== null && f.maxPriorityFeePerGas !== null) {
        return { type: 2, maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas } as Fees
      }
      if (f.gasPrice !== null) return { type: 0, gasPrice: f.gasPrice } as Fees
      return yield* new RpcError({ method: "eth_gasPrice", cause: new Error("the node reported no fee data") })
    })
    const baseFee = rpc("eth_getBlockByNumber", () => provider.getBlock("latest")).pipe(
      Effect.map((b) => b?.baseFeePerGas ?? 0n),
    )
    const maximum = options.maxGasPrice

    /** The fees of a first attempt: the fixed price or the network's, under the ceiling. */
    const startFees = Effect.gen(function* () {
      const fees: Fees = options.gasPrice !== undefined ? { type: 0, gasPrice: options.gasPrice } : yield* networkFees
      if (maximum === undefined) return fees
      const capped = capFees(fees, maximum, fees.type === 2 ? yield* baseFee : 0n)
      if ("required" in capped) return yield* new GasPriceAboveMax({ required: capped.required, maximum })
      return capped
    })

    const readPending = rpc("eth_getTransactionCount", () => provider.getTransactionCount(from, "pending"))

    /** Unresolved entries of this intent left by an earlier run (not the ones this process is settling now). */
    const earlierOf = (intent: string, g: string) =>
      Effect.map(journal.entries, (entries) =>
        entries.find(
          (e) =>
            e.resolved === undefined &&
            e.intent === intent &&
            sameChain(e, from, chain.chainId, g) &&
            !slot.inflight.has(e.id),
        ),
      )

    const tracked = <A, E, R>(id: string, eff: Effect.Effect<A, E, R>) =>
      Effect.suspend(() => {
        slot.inflight.add(id)
        return eff
      }).pipe(Effect.ensuring(Effect.sync(() => slot.inflight.delete(id))))

    const replace = makeReplace({ core, chain, from, journal, bumpPercent, maximum, networkFees, tracked, genesis })

    /** Settles the earlier transaction of this intent; still pending after the wait → `PendingIntentExists`. */
    const resume = (earlier: JournalEntry, call: CallInfo) =>
      tracked(
        earlier.id,
        core.settle(earlier, call, true).pipe(
          Effect.map((r): TxResult => ({ ...r, resumed: true })),
          Effect.catchTag("TransactionTimeout", (e) =>
            Effect.fail(replace.pendingIntent(earlier.intent, e.hash, earlier.nonce)),
          ),
        ),
      )

    const sendOwning = Effect.fn("TxEngine.send")(function* (req: TxRequest, owned: Set<string>) {
      const value = req.value ?? 0n
      const intent = req.intent ?? defaultIntent(req)
      const call: CallInfo = { to: req.to, data: req.data, value, contract: req.contract }
      const earlier = yield* earlierOf(intent, yield* genesis)
      if (earlier !== undefined) return yield* resume(earlier, call)

      const gasLimit = req.gasLimit ?? withHeadroom(yield* estimateGas(req), headroom)
      let fees = yield* startFees
      const have = yield* balance
      const need = value + gasLimit * maxPricePerGas(fees)
      if (have < need) return yield* short(need, have)

      let pinned = req.nonce
      // The entry an underpriced retry extends: every later check then covers all hashes signed at that nonce.
      let extend: JournalEntry | undefined
      for (let attempt = 1; ; attempt++) {
        const submitted = yield* Effect.result(
          withNonce(slot, readPending, pinned, (nonce) =>
            core.submit(
              intent,
              {
                to: req.to,
                data: req.data,
                value,
                gasLimit,
                nonce,
                chainId: chain.chainId,
                ...(fees.type === 2
                  ? { type: 2, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }
                  : { type: 0, gasPrice: fees.gasPrice }),
              },
              {
                owned,
                ...(req.contract === undefined ? {} : { contract: req.contract }),
                ...(extend === undefined ? {} : { extend }),
              },
            ),
          ),
        )
        if (submitted._tag === "Success") {
          const entry = submitted.success
          try {
            req.onSubmitted?.(entry.hashes[entry.hashes.length - 1] as string)
          } catch {
            // A progress callback must not turn a broadcast transaction into a failure.
          }
          return yield* tracked(entry.id, core.settle(entry, call))
        }
        const failure = submitted.failure
        if (failure._tag !== "Rejected") return yield* failure
        // A refusal of a transaction the node does not show proves nothing while its nonce is free (another backend
        // may hold it): the entry stays unresolved and the next send of this intent settles it. Only "nonce" comes
        // with every hash of the entry unknown and the nonce used (deliver): then nothing of it can ever be mined.
        if (failure.kind === "nonce" && failure.entry !== undefined) yield* core.resolve(failure.entry, "void")
        const retry = attempt < maxAttempts
        if (failure.kind === "nonce" && req.nonce === undefined && retry) {
          // With an entry, deliver proved our transaction can never be mined: the next free nonce, a new signature.
          // Without one (a wallet that broadcasts itself) the chain counted the nonce free although the wallet was
          // told "nonce too low" (backends that disagree): the same nonce again, so at most one of them is mined.
          pinned = failure.entry === undefined ? failure.nonce : undefined
          extend = undefined
          yield* Effect.logDebug(`tx retry ${attempt}: stale nonce`)
          continue
        }
        if (failure.kind === "underpriced" && retry && failure.entry !== undefined) {
          pinned = failure.entry.nonce // same nonce, same entry: at most one of them can ever be mined
          extend = failure.entry
          const next = replacementFees(fees, bumpPercent, undefined, maximum)
          if ("required" in next)
            return yield* new GasPriceAboveMax({ required: next.required, maximum: maximum ?? 0n })
          fees = next
          yield* Effect.logDebug(`tx retry ${attempt}: underpriced`)
          continue
        }
        if (failure.kind === "insufficient-funds") return yield* short(need, yield* balance)
        if (failure.revert !== undefined) return yield* failure.revert
        if (failure.kind === "nonce" && failure.entry !== undefined) {
          const hash = failure.entry.hashes[failure.entry.hashes.length - 1] as string
          return yield* new NonceConsumed({ hash, nonce: failure.entry.nonce })
        }
        return yield* new RpcError({ method: "eth_sendRawTransaction", cause: failure.cause })
      }
    })

    /** Entries this send recorded are "in flight" until it ends, whatever the outcome. */
    const send = (req: TxRequest) =>
      Effect.suspend(() => {
        const owned = new Set<string>()
        return sendOwning(req, owned).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              for (const id of owned) slot.inflight.delete(id)
            }),
          ),
        )
      })

    return TxEngine.of({
      address: from,
      estimateGas,
      send,
      wait: replace.wait,
      speedUp: replace.speedUp,
      cancel: replace.cancel,
      pending: replace.pending,
      journal,
    })
  })
