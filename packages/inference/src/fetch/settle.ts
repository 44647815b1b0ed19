/**
 * The end of one billed exchange: verify it against the hashes of the exact bytes (unless the provider cannot be
 * verified and the caller opted in), work out the fee as the broker bills it, record it in the `UsageMeter` and hand
 * the result to `onExchange`. A failed verification is part of the result, not a failure of this Effect.
 */
import { type Context, Effect } from "effect"
import { exchangeFee } from "../billing-plans.js"
import type { InferenceConfigShape } from "../config.js"
import type { Directory, ModelCatalog } from "../directory.js"
import type { ServiceView } from "../service-view.js"
import type { UsageMeter } from "../usage.js"
import type { VerificationLevel } from "../verify/levels.js"
import type { TokenUsage } from "../verify/sse.js"
import { type Receipt, verificationRefusal, verifyExchangePromise } from "../verify/verifier.js"
import type { ExchangeResult, FetchDeps, InferenceFetchOptions } from "./adapter.js"
import { type InferenceFetchError, settled } from "./fetch-error.js"
import type { MediaBill, ServiceKind } from "./media.js"
import type { Prepared } from "./prepare.js"
import { expectedRequestHashes } from "./request-hashes.js"

export interface ExchangeBase {
  readonly requestId: string
  readonly startedAt: number
  readonly requestHash: string
}

export interface ExchangeMedia {
  readonly kind: ServiceKind
  readonly bill?: MediaBill
  readonly images?: ReadonlyArray<string> | undefined
}

export interface Settled {
  readonly receipt: Receipt | undefined
  readonly error: Error | undefined
  readonly level: VerificationLevel | undefined
}

export interface SettleDeps {
  readonly directory: Directory["Service"]
  readonly usage: UsageMeter["Service"]
  readonly config: InferenceConfigShape
  readonly options: InferenceFetchOptions
  readonly context: Context.Context<FetchDeps>
}

/** Settles exchanges for one fetch's services and options. */
export const makeSettle = (deps: SettleDeps) => {
  const { directory, usage, config, options, context } = deps
  const loadCatalog = (p: string) =>
    Effect.runPromiseWith(context)(
      directory.models(p).pipe(
        Effect.map((c): ModelCatalog | undefined => c),
        Effect.orElseSucceed(() => undefined),
      ),
    )

  return (
    prepared: Prepared,
    svc: ServiceView,
    base: ExchangeBase,
    chatId: string | undefined,
    responseHash: string,
    tokens: TokenUsage | undefined,
    earlyError: Error | undefined,
    media?: ExchangeMedia,
  ): Effect.Effect<Settled, InferenceFetchError> =>
    Effect.gen(function* () {
      // A failure without the provider's usage, or counts it may not have billed by: the amount is not known from here.
      const feeUnknown = (earlyError !== undefined && tokens === undefined) || tokens?.usageUncertain === true
      let receipt: Receipt | undefined
      let error = earlyError
      const unverifiable = verificationRefusal(svc) !== undefined // only reached with the caller's opt-in
      if (error === undefined && !unverifiable) {
        const images = media?.images === undefined ? {} : { images: media.images }
        const hashes = { ...expectedRequestHashes(options.upstreamModel, prepared, base, svc), responseHash, ...images }
        const verdict = yield* Effect.promise(() =>
          verifyExchangePromise(config, svc, chatId, hashes, context).then(
            (r) => ({ receipt: r, error: undefined }),
            (e: Error) => ({ receipt: undefined, error: e }),
          ),
        )
        receipt = verdict.receipt
        error = verdict.error
      }
      const level: VerificationLevel | undefined =
        error !== undefined ? undefined : unverifiable ? "unverifiable" : receipt?.level
      const { usageUncertain: _, ...t } = tokens ?? { promptTokens: 0, completionTokens: 0 }
      // The broker's formula over the plan it publishes (tiers, cache prices, per-model prices): billing-plans.ts;
      // images and transcriptions by their own rules (media.ts).
      const mediaKind = media === undefined || media.kind === "chatbot" ? undefined : media.kind
      const fees =
        mediaKind === undefined
          ? yield* settled(() => exchangeFee(directory, svc, prepared.model, t, loadCatalog))
          : {
              inputFee: media?.bill?.inputFee ?? 0n,
              outputFee: media?.bill?.outputFee ?? 0n,
              fee: media?.bill?.fee ?? 0n,
            }
      const units = { images: media?.bill?.images, audioSeconds: media?.bill?.audioSeconds }
      const result: ExchangeResult = {
        record: {
          requestId: base.requestId,
          provider: svc.provider,
          model: prepared.model,
          chatId,
          stream: prepared.stream,
          ...t,
          ...fees,
          ...(mediaKind === undefined ? {} : { serviceType: mediaKind }),
          ...(units.images === undefined ? {} : { images: units.images }),
          ...(units.audioSeconds === undefined ? {} : { audioSeconds: units.audioSeconds }),
          ...(feeUnknown ? { feeUnknown } : {}),
          verdict:
            receipt?._tag ??
            (error as { _tag?: string } | undefined)?._tag ??
            (level === "unverifiable" ? "Unverifiable" : "Error"),
          ...(level === undefined ? {} : { level }),
          startedAt: base.startedAt,
          durationMs: Date.now() - base.startedAt,
        },
        receipt,
        error,
        level,
      }
      usage.record(result.record)
      options.onExchange?.(result)
      return { receipt, error, level }
    })
}
