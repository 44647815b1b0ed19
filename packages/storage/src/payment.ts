/**
 * Paying for an upload at most once per root. Before anything is signed, an earlier paid submit of the same file by
 * this wallet is looked for: the hash recorded in the resume state, then mined entries of the engine's journal for
 * the same intent; each is checked on the chain (a mined Submit of this root to the pinned Flow). Only when none
 * exists is the fee quoted, bounded and paid, and the payment is recorded: a marker before signing, the hash once the
 * node accepted it, the txSeq once mined. A re-run after a timeout, Ctrl-C or crash therefore resumes the paid
 * submission instead of paying again, even when the storage nodes have not seen it yet.
 */
import { TxEngine } from "@0g-compute/contracts"
import { Chain } from "@0g-compute/core"
import { Effect } from "effect"
import { MarketNotPinned, StorageFeeAboveMax, SubmitUnconfirmed } from "./errors.js"
import { type PaidSubmission, paidSubmission, quoteStorageFee, submitFile, submitIntent } from "./flow.js"
import type { FileMerkle } from "./merkle/index.js"
import type { UploadOptions, UploadState } from "./upload.js"

export interface Payment {
  readonly txSeq: number
  readonly txHash: string
  /** What this call paid (0 when an earlier payment was resumed). */
  readonly fee: bigint
  readonly gasFee: bigint
}

const lower = (s: string) => s.toLowerCase()

/** The newest mined submit of this file by this wallet, from the resume state's hash or the engine's journal. */
export const earlierPayment = (flow: string, merkle: FileMerkle, recorded: string | undefined) =>
  Effect.gen(function* () {
    const engine = yield* TxEngine
    const chain = yield* Chain
    const intent = submitIntent(flow, merkle.root)
    const entries = yield* engine.journal.entries.pipe(Effect.orElseSucceed(() => []))
    const mined = entries
      .filter(
        (e) =>
          e.intent === intent &&
          lower(e.from) === lower(engine.address) &&
          e.chainId === chain.chainId.toString() &&
          e.resolved?.outcome === "mined",
      )
      .map((e) => e.resolved?.hash)
      .reverse()
    const seen = new Set<string>()
    for (const hash of [recorded, ...mined]) {
      if (hash === undefined || seen.has(lower(hash))) continue
      seen.add(lower(hash))
      let paid = yield* paidSubmission(hash, flow, merkle)
      if (paid === undefined && hash === recorded) {
        // No receipt yet: pending (wait for it, or a replacement of it) or dropped (then nothing was paid).
        const waited = yield* engine.wait(hash).pipe(
          Effect.map((r) => r.hash),
          Effect.catchTags({
            TransactionNotFound: () => Effect.succeed(undefined),
            NotOwnTransaction: () => Effect.succeed(undefined),
            TransactionReverted: () => Effect.succeed(undefined),
          }),
          Effect.mapError((e) => new SubmitUnconfirmed({ txHash: hash, detail: e.message })),
        )
        if (waited !== undefined) paid = yield* paidSubmission(waited, flow, merkle)
      }
      if (paid !== undefined && paid !== "reverted") return paid satisfies PaidSubmission
    }
    return undefined
  })

/** Resumes an earlier payment of this file, else quotes, bounds and pays `submit` once, recording it as it goes. */
export const payOnce = (
  pinned: { readonly flow: string; readonly market: string | undefined },
  merkle: FileMerkle,
  options: UploadOptions,
  saved: UploadState | undefined,
) =>
  Effect.gen(function* () {
    const root = merkle.root
    const size = merkle.layout.size
    const store = options.resume
    const record = (state: UploadState) =>
      Effect.promise(async () => {
        await store?.save(state).catch(() => undefined)
      })
    const flow = pinned.flow

    const earlier = yield* earlierPayment(flow, merkle, saved?.txHash)
    if (earlier !== undefined) {
      const done = saved?.txSeq === earlier.txSeq ? saved.done : {}
      yield* record({ root, size, flow, txHash: earlier.txHash, txSeq: earlier.txSeq, done })
      return { txSeq: earlier.txSeq, txHash: earlier.txHash, fee: 0n, gasFee: 0n } satisfies Payment
    }

    const quote = yield* quoteStorageFee(flow, pinned.market, merkle)
    // An unpinned market's price is only the Flow's own claim: without a ceiling from the caller, refuse.
    if (pinned.market === undefined && options.maxFee === undefined) {
      return yield* new MarketNotPinned({ flow: quote.flow, market: quote.market, fee: quote.fee })
    }
    const maxFee = options.maxFee ?? quote.fee
    if (quote.fee > maxFee) {
      return yield* new StorageFeeAboveMax({
        fee: quote.fee,
        maxFee,
        sectors: quote.sectors,
        pricePerSector: quote.pricePerSector,
      })
    }
    options.onProgress?.({ phase: "fee", ...quote })
    // The marker says a submit may be signed for this root; the hash follows as soon as the node accepts it.
    yield* record({ root, size, flow, done: {} })
    let recording: Promise<void> = Promise.resolve()
    const submitted = yield* submitFile(flow, merkle, quote.fee, options.tags, (hash) => {
      if (store) recording = store.save({ root, size, flow, txHash: hash, done: {} }).catch(() => undefined)
      options.onProgress?.({ phase: "submit", txHash: hash, fee: quote.fee })
    }).pipe(Effect.ensuring(Effect.promise(() => recording)))
    yield* record({ root, size, flow, txHash: submitted.txHash, txSeq: submitted.txSeq, done: {} })
    return {
      txSeq: submitted.txSeq,
      txHash: submitted.txHash,
      fee: submitted.fee,
      gasFee: submitted.gasFee,
    } satisfies Payment
  })
