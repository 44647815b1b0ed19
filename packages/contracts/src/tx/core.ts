/**
 * The chain-facing core of the transaction engine: sign once, record, deliver, and settle an intent by asking the
 * chain about *its* hashes. Nothing here ever signs a transaction at a new nonce; that decision is the caller's.
 *
 * An intent's status is read as: our receipt (mined) → our transaction known to the node (pending) → unknown, with
 * whether the account's mined nonce count is already past our nonce (then it can never be mined: `nonceUsed`).
 * The count is read first, so a transaction mined in between is seen as mined, never as "nonce used"; a used nonce
 * counts only once the block that used it shows another transaction there (nonce-user.ts).
 */
import { type ChainShape, RpcError, type WalletShape } from "@0g-compute/core"
import { Effect, Option } from "effect"
import { isError, keccak256, Transaction, type TransactionReceipt, type TransactionRequest } from "ethers"
import type { ContractName } from "../clients.js"
import { TransactionReverted, TransactionTimeout } from "../errors.js"
import type { JournalEntry, JournalOutcome, TxJournalShape } from "../journal.js"
import { revertFromError } from "../revert.js"
import { NonceConsumed, TransactionCancelled, TransactionOutcomeUnknown } from "./errors.js"
import { classifySendError, messageOf } from "./fees.js"
import type { NonceSlot } from "./nonce.js"
import { type CallDigest, nonceUser } from "./nonce-user.js"
import { type CallInfo, type ChainStatus, isCancelOf, Rejected, rpc, type TxResult } from "./outcome.js"

/**
 * A wallet call's outcome as a value, never as the Effect's failure: the caller classifies a rejection itself (sign
 * locally or not, refused or maybe sent), so no step carries an untyped error channel. A synchronous throw counts as
 * a rejection.
 */
const walletCall = <A>(call: () => Promise<A>) =>
  Effect.promise(() =>
    Promise.resolve()
      .then(call)
      .then(
        (success) => ({ _tag: "Success" as const, success }),
        (failure: unknown) => ({ _tag: "Failure" as const, failure }),
      ),
  )

const now = () => new Date().toISOString()
/** Stands for the hash a broadcasting wallet never reported. */
export const NO_HASH = "(not reported by the wallet)"
/** How many blocks after an entry recorded without a hash are searched for the transaction at its nonce. */
const RECOVER_BLOCKS = 1024
const last = <A>(xs: ReadonlyArray<A>): A => xs[xs.length - 1] as A

/** Signers without local signing (a browser wallet's JsonRpcSigner) say so in one of these ways. */
const cannotSignLocally = (e: unknown) =>
  isError(e, "UNSUPPORTED_OPERATION") ||
  /not supported|unsupported|does not exist|method not found|not available/i.test(messageOf(e))

export interface CoreConfig {
  readonly chain: ChainShape
  readonly wallet: WalletShape
  readonly slot: NonceSlot
  readonly journal: TxJournalShape
  readonly timeoutMs: number
  readonly maxAttempts: number
  readonly pollMs: number
  /** Hash of block 0 (cached by the engine). */
  readonly genesis: Effect.Effect<string>
}

export const makeCore = ({ chain, wallet, slot, journal, timeoutMs, maxAttempts, pollMs, genesis }: CoreConfig) => {
  const provider = chain.provider
  const from = wallet.address
  let localSigning = true

  const put = (entry: JournalEntry) => journal.put(entry)
  /** Marks an outcome; a journal that fails now must not turn a mined transaction into a failure. */
  const resolve = (entry: JournalEntry, outcome: JournalOutcome, hash?: string) =>
    put({ ...entry, resolved: { outcome, ...(hash === undefined ? {} : { hash }), at: now() } }).pipe(
      Effect.catch((e) => Effect.logWarning(`tx journal: ${e.message}`)),
    )

  /** The receipt of `hash`; one the node gives for another transaction (a lying or broken RPC) counts as none. */
  const receiptOf = (hash: string) =>
    rpc("eth_getTransactionReceipt", () => provider.getTransactionReceipt(hash)).pipe(
      Effect.map((r) => (r !== null && r.hash.toLowerCase() === hash.toLowerCase() ? r : null)),
    )

  /** `call`: what the entry does, so the same call re-signed outside the engine at its nonce counts as its own. */
  const statusOf = (hashes: ReadonlyArray<string>, nonce: number, call?: CallDigest) =>
    Effect.gen(function* () {
      const mined = yield* rpc("eth_getTransactionCount", () => provider.getTransactionCount(from, "latest"))
      for (const h of [...hashes].reverse()) {
        const receipt = yield* receiptOf(h)
        if (receipt !== null) return { _tag: "Mined", receipt } satisfies ChainStatus as ChainStatus
      }
      for (const h of [...hashes].reverse()) {
        const tx = yield* rpc("eth_getTransactionByHash", () => provider.getTransaction(h))
        if (tx !== null) return { _tag: "Pending", hash: h } satisfies ChainStatus as ChainStatus
      }
      if (mined <= nonce) return { _tag: "Unknown", nonceUsed: false } satisfies ChainStatus as ChainStatus
      // The count alone may come from a backend ahead of the one that had no receipt: the used nonce must name its user.
      const user = yield* nonceUser(provider, from, nonce, hashes, call)
      if (user._tag === "Ours") {
        const receipt = yield* receiptOf(user.hash)
        if (receipt !== null) return { _tag: "Mined", receipt } satisfies ChainStatus as ChainStatus
        return { _tag: "Pending", hash: user.hash } satisfies ChainStatus as ChainStatus
      }
      // Unproven: treated as a nonce still free, so only the same signed bytes can go out again.
      return { _tag: "Unknown", nonceUsed: user._tag === "Other" } satisfies ChainStatus as ChainStatus
    })

  const unknown = (entry: JournalEntry, reason: string) =>
    new TransactionOutcomeUnknown({ hash: last(entry.hashes), nonce: entry.nonce, reason })

  /** Status, with a failing node turned into "outcome unknown" (the hash is known, the answer is not). */
  const statusOrUnknown = (entry: JournalEntry) =>
    statusOf(entry.hashes, entry.nonce, entry).pipe(
      Effect.mapError((e) => unknown(entry, `the node could not be asked: ${messageOf(e.cause) || e.message}`)),
    )

  const broadcast = (raw: string) => rpc("eth_sendRawTransaction", () => provider.broadcastTransaction(raw))

  /** A fresh journal entry for a transaction about to be signed. */
  const draft = (
    intent: string,
    tx: TransactionRequest & { nonce: number; to: string },
    contract: string | undefined,
    genesisHash: string,
  ) => ({
    intent,
    chainId: chain.chainId.toString(),
    ...(genesisHash === "" ? {} : { genesis: genesisHash }),
    from,
    to: tx.to,
    nonce: tx.nonce,
    value: (tx.value ?? 0n).toString(),
    dataDigest: keccak256(tx.data ?? "0x"),
    ...(contract === undefined ? {} : { contract }),
    createdAt: now(),
  })

  /**
   * Signs locally (the hash is known before anything leaves), records the entry, then delivers it. A signer that
   * cannot sign locally broadcasts itself; its hash is recorded as soon as it is known.
   * `extend`: append to an existing entry (a same-nonce replacement) instead of starting one.
   */
  const submit = (
    intent: string,
    tx: TransactionRequest & { nonce: number; to: string },
    options: { contract?: string; extend?: JournalEntry; cancel?: boolean; owned?: Set<string> } = {},
  ) =>
    Effect.gen(function* () {
      const base = options.extend ?? {
        ...draft(intent, tx, options.contract, yield* genesis),
        id: "",
        hashes: [],
        raws: [],
      }
      const add = (hash: string, raw: string): JournalEntry => ({
        ...base,
        id: base.id === "" ? hash : base.id,
        hashes: [...base.hashes, hash],
        raws: [...base.raws, raw],
        ...(options.cancel ? { cancelHash: hash } : {}),
      })
      if (localSigning) {
        const signed = yield* walletCall(() => wallet.signer.signTransaction(tx))
        if (signed._tag === "Success") {
          const entry = add(Transaction.from(signed.success).hash ?? keccak256(signed.success), signed.success)
          yield* put(entry)
          // From now on this process settles it: a concurrent identical intent is a second intent, not a re-run.
          slot.inflight.add(entry.id)
          options.owned?.add(entry.id)
          yield* deliver(entry, signed.success, options.extend !== undefined)
          return entry
        }
        if (!cannotSignLocally(signed.failure)) {
          return yield* new RpcError({ method: "signTransaction", cause: signed.failure })
        }
        localSigning = false
      }
      const sent = yield* walletCall(() => wallet.signer.sendTransaction(tx))
      if (sent._tag === "Success") {
        const entry = add(sent.success.hash, "")
        // It is broadcast already: a journal failing now must not hide its hash from the caller.
        yield* put(entry).pipe(
          Effect.catch((e) => Effect.logWarning(`tx journal: ${e.message}; transaction ${entry.id} was sent`)),
        )
        return entry
      }
      // The wallet broadcast on its own: without a hash only the nonce can tell whether something went out. A used
      // nonce may be ours, so it is never a reason to sign again.
      const used = yield* rpc("eth_getTransactionCount", () => provider.getTransactionCount(from, "pending"))
      const kind = classifySendError(sent.failure)
      if (used <= tx.nonce) {
        const revert = revertFromError(sent.failure, options.contract as ContractName | undefined)
        return yield* new Rejected({ kind, cause: sent.failure, revert, entry: undefined, nonce: tx.nonce })
      }
      // Recorded by its nonce, so a re-run of this intent looks for what was mined there instead of paying again.
      const head = yield* Effect.orElseSucceed(
        rpc("eth_blockNumber", () => provider.getBlockNumber()),
        () => undefined,
      )
      const noHash: JournalEntry = {
        ...base,
        id: `nonce:${from.toLowerCase()}:${tx.nonce}`,
        ...(head === undefined ? {} : { sinceBlock: Math.max(0, head - 1) }),
      }
      yield* put(noHash).pipe(Effect.catch((e) => Effect.logWarning(`tx journal: ${e.message}`)))
      return yield* new TransactionOutcomeUnknown({ hash: NO_HASH, nonce: tx.nonce, reason: messageOf(sent.failure) })
    })

  /**
   * An entry recorded without a hash: the transaction mined at its nonce (from `sinceBlock` on) is taken as its own
   * once the nonce is used; until then its outcome stays unknown (never void, never signed again).
   */
  const recover = (entry: JournalEntry) =>
    Effect.gen(function* () {
      const fail = (reason: string) => new TransactionOutcomeUnknown({ hash: NO_HASH, nonce: entry.nonce, reason })
      const mined = yield* rpc("eth_getTransactionCount", () => provider.getTransactionCount(from, "latest"))
      if (mined <= entry.nonce) return yield* fail("the wallet reported no hash and its nonce is not used yet")
      const head = yield* rpc("eth_blockNumber", () => provider.getBlockNumber())
      const start = entry.sinceBlock ?? head
      for (let n = start; n <= head && n < start + RECOVER_BLOCKS; n++) {
        const block = yield* rpc("eth_getBlockByNumber", () => provider.getBlock(n, true))
        const tx = block?.prefetchedTransactions.find(
          (t) => t.from.toLowerCase() === from.toLowerCase() && t.nonce === entry.nonce,
        )
        if (tx !== undefined) {
          const found: JournalEntry = { ...entry, hashes: [tx.hash], raws: [""] }
          yield* put(found).pipe(Effect.catch((e) => Effect.logWarning(`tx journal: ${e.message}`)))
          return found
        }
      }
      return yield* fail(`the wallet reported no hash; nothing at its nonce found in blocks ${start}…${head}`)
    }).pipe(
      Effect.catchTag("RpcError", (e) =>
        Effect.fail(new TransactionOutcomeUnknown({ hash: NO_HASH, nonce: entry.nonce, reason: e.message })),
      ),
    )

  /**
   * Broadcasts the signed bytes. On any error, asks the chain about this transaction first: known → delivered; a
   * definite refusal of an unknown transaction → `Rejected`; unknown with its nonce used → `NonceConsumed`; unknown
   * with the nonce free (provably dropped) → the same bytes again, up to `maxAttempts`.
   */
  const deliver = (entry: JournalEntry, raw: string, replacing = false) =>
    Effect.gen(function* () {
      const mine = last(entry.hashes)
      for (let attempt = 1; ; attempt++) {
        const sent = yield* Effect.result(broadcast(raw))
        if (sent._tag === "Success") return
        const cause = sent.failure.cause
        // A replacement is judged on its own hash: the original being pending says nothing about it. No same-call
        // match here: refused at once, ours was never pending to be replaced, so an identical call at its nonce is
        // someone else's (another client of this key), not a speed-up of ours.
        const status = yield* statusOf(replacing ? [mine] : entry.hashes, entry.nonce).pipe(
          Effect.mapError((e) => unknown(entry, `the node could not be asked: ${messageOf(e.cause) || e.message}`)),
        )
        if (status._tag !== "Unknown") return
        // The nonce went to another transaction of this intent (the original): settling the entry will tell.
        if (replacing && status.nonceUsed) return
        const kind = classifySendError(cause)
        const revert = revertFromError(cause, entry.contract as ContractName | undefined)
        // "nonce too low" is believed only when the chain agrees; then our transaction can never be mined.
        if (kind === "nonce" && status.nonceUsed)
          return yield* new Rejected({ kind, cause, revert, entry, nonce: entry.nonce })
        if (status.nonceUsed) {
          yield* resolve(entry, "void")
          return yield* new NonceConsumed({ hash: mine, nonce: entry.nonce })
        }
        if (kind === "underpriced" || kind === "insufficient-funds" || revert !== undefined) {
          return yield* new Rejected({ kind, cause, revert, entry, nonce: entry.nonce })
        }
        if (attempt >= maxAttempts) return yield* unknown(entry, messageOf(cause) || "the send failed")
        yield* Effect.logDebug(`tx ${mine}: not on the node after "${messageOf(cause)}"; resending`)
      }
    })

  /** Polls receipts of every hash of the entry; transient RPC errors are retried until the deadline. */
  const waitAny = (hashes: ReadonlyArray<string>, ms: number) =>
    Effect.gen(function* () {
      for (;;) {
        for (const h of hashes) {
          const r = yield* Effect.option(receiptOf(h))
          if (Option.isSome(r) && r.value !== null) return r.value
        }
        yield* Effect.sleep(pollMs)
      }
    }).pipe(Effect.timeoutOption(ms))

  const replayRevert = (call: CallInfo, receipt: TransactionReceipt) =>
    Effect.tryPromise(() =>
      provider.call({
        from,
        to: call.to,
        data: call.data,
        value: call.value,
        blockTag: Math.max(0, receipt.blockNumber - 1),
      }),
    ).pipe(
      Effect.match({
        onSuccess: () => undefined,
        onFailure: (e) => revertFromError((e as { error?: unknown }).error ?? e, call.contract),
      }),
    )

  const callOf = (hash: string) =>
    rpc("eth_getTransactionByHash", () => provider.getTransaction(hash)).pipe(
      Effect.map((t): CallInfo | undefined =>
        t === null ? undefined : { to: t.to ?? from, data: t.data, value: t.value },
      ),
      Effect.orElseSucceed(() => undefined),
    )

  /** `cancelOk`: the caller asked for the cancellation, so it being mined is the success they want. */
  const finish = (entry: JournalEntry, receipt: TransactionReceipt, call: CallInfo | undefined, cancelOk: boolean) =>
    Effect.gen(function* () {
      const hash = receipt.hash
      const gasUsed = receipt.gasUsed
      const fee = gasUsed * receipt.gasPrice
      if (receipt.status !== 1) {
        yield* resolve(entry, "reverted", hash)
        // Replay the transaction that was mined (a replacement may differ from the original call).
        const mined = hash === entry.hashes[0] && call !== undefined ? call : yield* callOf(hash)
        const c =
          mined === undefined
            ? undefined
            : { ...mined, contract: call?.contract ?? (entry.contract as ContractName | undefined) }
        const revert = c === undefined ? undefined : yield* replayRevert(c, receipt)
        return yield* new TransactionReverted({ hash, blockNumber: receipt.blockNumber, gasUsed, fee, revert })
      }
      const cancelled = isCancelOf(entry, hash)
      yield* resolve(entry, cancelled ? "cancelled" : "mined", hash)
      // A cancelled intent did nothing: never report it as the operation's success.
      if (cancelled && !cancelOk) return yield* new TransactionCancelled({ hash, nonce: entry.nonce })
      return {
        hash,
        nonce: entry.nonce,
        blockNumber: receipt.blockNumber,
        gasUsed,
        effectiveGasPrice: receipt.gasPrice,
        fee,
      } satisfies TxResult as TxResult
    })

  /**
   * Waits for whichever transaction of the entry is mined. On a timeout the chain is asked again: still pending →
   * `TransactionTimeout` (with the hash); dropped → the same signed bytes again; nonce used by another →
   * `NonceConsumed`. `checkFirst` starts with that question (for an entry found in the journal).
   */
  const settle = (
    recorded: JournalEntry,
    call: CallInfo | undefined,
    checkFirst = false,
    ms = timeoutMs,
    cancelOk = false,
  ) =>
    Effect.gen(function* () {
      const entry = recorded.hashes.length === 0 ? yield* recover(recorded) : recorded
      for (let round = 1; ; round++) {
        if (!checkFirst || round > 1) {
          const receipt = yield* waitAny(entry.hashes, ms)
          if (Option.isSome(receipt)) return yield* finish(entry, receipt.value, call, cancelOk)
        }
        const status = yield* statusOrUnknown(entry)
        if (status._tag === "Mined") return yield* finish(entry, status.receipt, call, cancelOk)
        if (status._tag === "Pending") {
          if (checkFirst && round === 1) continue
          slot.next = undefined // a stuck transaction leaves a gap behind it: re-read the count next time
          return yield* new TransactionTimeout({ hash: status.hash, timeoutMs: ms })
        }
        if (status.nonceUsed) {
          yield* resolve(entry, "void")
          return yield* new NonceConsumed({ hash: last(entry.hashes), nonce: entry.nonce })
        }
        const raw = [...entry.raws].reverse().find((r) => r !== "")
        if (raw === undefined || round > maxAttempts) {
          slot.next = undefined
          return yield* unknown(entry, "the node does not know it and its nonce is still free")
        }
        // Provably dropped (unknown, nonce free): the same signed bytes again, never a new signature.
        yield* Effect.ignore(broadcast(raw))
      }
    })

  return { rpc, provider, from, put, resolve, statusOf, submit, deliver, settle, broadcast, unknown }
}

export type EngineCore = ReturnType<typeof makeCore>
