/**
 * `inference.fetch(provider)`: a WHATWG `fetch` that any OpenAI client accepts
 * (`new OpenAI({ baseURL: <url>/v1/proxy, apiKey: "unused", fetch })`). For each billed call it
 *
 * 1. refuses URLs outside the provider's service URL (credentials never go elsewhere);
 * 2. serializes the body once and sends exactly those bytes (streams get `stream_options.include_usage` added by us,
 *    so the provider has no reason to rewrite the request), with `Accept-Encoding: identity`;
 * 3. attaches the cached ephemeral session token (no chain read, no signature in steady state);
 * 4. maps provider rejections to typed errors, and retries once with a fresh token after an expiry/revocation;
 * 5. verifies the response against the exact bytes — non-stream: before resolving (a failed verification rejects);
 *    stream: at the end, before `[DONE]` is delivered (a failed verification errors the stream);
 * 6. records usage and fee (the broker's formula: tiers, cache prices, per-model prices) in the `UsageMeter`.
 *
 * Every response is read under the configured limits (deadlines, byte ceiling, SSE event cap): a stalled or endless
 * provider fails with `ProviderTimeout` / `ProviderBodyTooLarge` and its connection is closed.
 */

import { type BoundedResponse, isRecord, type ProviderLimits, providerSend } from "@0g-compute/core"
import { parseApiKey } from "@0g-compute/crypto"
import { Cause, type Context, Effect, Exit, Redacted } from "effect"
import type { RequestAuth } from "../auth/session.js"
import { exchangeFee } from "../billing-plans.js"
import { InferenceConfig, type InferenceConfigShape } from "../config.js"
import type { Directory, ModelCatalog } from "../directory.js"
import { ProviderUnreachable, UnsupportedRequest } from "../errors.js"
import { mapRejection } from "../http.js"
import type { ServiceView } from "../service-view.js"
import type { UsageMeter, UsageRecord } from "../usage.js"
import { sha256Hex } from "../verify/digests.js"
import { signatureKey, type VerificationLevel } from "../verify/levels.js"
import { usageOf, wordCount } from "../verify/sse.js"
import { type Receipt, verificationRefusal, verifyExchangePromise } from "../verify/verifier.js"
import { boundedBody, choiceWords, newRequestId } from "./exchange-parts.js"
import {
  imageHashes,
  type MediaBill,
  mediaBill,
  refuseUnverifiableMedia,
  type ServiceKind,
  serviceKind,
} from "./media.js"
import { copyHeaders, type Prepared, prepare } from "./prepare.js"
import { expectedRequestHashes } from "./request-hashes.js"
import { streamFailure, verifyingStream } from "./stream.js"

export type InferenceFetch = ((input: RequestInfo | URL, init?: RequestInit) => Promise<Response>) & {
  readonly provider: string
}

/** What one billed exchange came to: the usage record, the verification level, and the receipt or the error. */
export interface ExchangeResult {
  readonly record: UsageRecord
  readonly receipt: Receipt | undefined
  readonly error: Error | undefined
  /** How far the exchange was verified (verify/levels.ts); undefined when verification failed. */
  readonly level: VerificationLevel | undefined
}

export interface InferenceFetchOptions {
  /** Called once per billed exchange, after verification (for streams: when the stream ends). */
  readonly onExchange?: (result: ExchangeResult) => void
  /**
   * Authenticate with this persistent API key (`app-sk-…`) instead of the client's ephemeral session tokens. A key
   * the provider rejects (expired, revoked) is an error; there is no automatic renewal.
   */
  readonly apiKey?: Redacted.Redacted<string> | string
  /**
   * Use this provider even though its responses cannot be verified (a "standard" provider never signs): every result
   * is then "unverifiable". Without it such a provider is refused before any request is sent (nothing is billed).
   */
  readonly allowUnverifiable?: boolean
  /**
   * The upstream model id the provider documents forwarding `model` as (the broker's EnforceConfiguredModel rewrite):
   * the rewritten request is recomputed, so its hash stays bytes-bound.
   */
  readonly upstreamModel?: string
}

export type FetchDeps = Directory | RequestAuth | UsageMeter

const decoder = new TextDecoder()
const AUTH_RETRY_TAGS = new Set(["TokenExpired", "TokenRevoked", "TokenRejected"])

/** Builds the fetch for one provider over a context holding the inference services. */
export const makeInferenceFetch = (
  provider: string,
  context: Context.Context<FetchDeps>,
  services: {
    readonly directory: Directory["Service"]
    readonly auth: RequestAuth["Service"]
    readonly usage: UsageMeter["Service"]
    readonly config: InferenceConfigShape
  },
  options: InferenceFetchOptions = {},
): InferenceFetch => {
  const { directory, auth, usage, config } = services
  const run = <A, E>(effect: Effect.Effect<A, E, FetchDeps>): Promise<A> =>
    Effect.runPromiseExitWith(context)(Effect.provideService(effect, InferenceConfig, config)).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    })
  let service: ServiceView | undefined
  const fixedKey =
    options.apiKey === undefined
      ? undefined
      : typeof options.apiKey === "string"
        ? Redacted.make(options.apiKey)
        : options.apiKey
  const fixedParsed = fixedKey && parseApiKey(Redacted.value(fixedKey))
  const fixedCredential = fixedKey && {
    authorization: Redacted.make(`Bearer ${Redacted.value(fixedKey).replace(/^Bearer\s+/, "")}`),
    tokenId: fixedParsed?._tag === "Success" ? fixedParsed.success.token.tokenId : undefined,
  }
  /** The credential to send: a cached one without leaving the current tick, else a session signed (or awaited). */
  const credential = () => {
    const cached = fixedCredential ?? auth.peek(provider)
    return cached === undefined ? run(auth.session(provider)) : cached
  }

  const loadCatalog = (p: string) =>
    run(
      directory.models(p).pipe(
        Effect.map((c): ModelCatalog | undefined => c),
        Effect.orElseSucceed(() => undefined),
      ),
    )

  const report = (r: ExchangeResult) => {
    usage.record(r.record)
    options.onExchange?.(r)
  }

  const finishExchange = async (
    prepared: Prepared,
    svc: ServiceView,
    base: { requestId: string; startedAt: number; requestHash: string },
    chatId: string | undefined,
    responseHash: string,
    tokens: { promptTokens: number; completionTokens: number } | undefined,
    earlyError: Error | undefined,
    media?: {
      readonly kind: ServiceKind
      readonly bill?: MediaBill
      readonly images?: ReadonlyArray<string> | undefined
    },
  ): Promise<{ receipt: Receipt | undefined; error: Error | undefined; level: VerificationLevel | undefined }> => {
    // A failure without the provider's usage: the amount it billed is not known from here.
    const feeUnknown = earlyError !== undefined && tokens === undefined
    let receipt: Receipt | undefined
    let error = earlyError
    const unverifiable = verificationRefusal(svc) !== undefined // only reached with the caller's opt-in
    if (error === undefined && !unverifiable) {
      try {
        const images = media?.images === undefined ? {} : { images: media.images }
        const hashes = { ...expectedRequestHashes(options.upstreamModel, prepared, base, svc), responseHash, ...images }
        receipt = await verifyExchangePromise(config, svc, chatId, hashes, context)
      } catch (e) {
        error = e as Error
      }
    }
    const level: VerificationLevel | undefined =
      error !== undefined ? undefined : unverifiable ? "unverifiable" : receipt?.level
    const t = tokens ?? { promptTokens: 0, completionTokens: 0 }
    // The broker's formula over the plan it publishes (tiers, cache prices, per-model prices): billing-plans.ts;
    // images and transcriptions by their own rules (media.ts).
    const mediaKind = media === undefined || media.kind === "chatbot" ? undefined : media.kind
    const fees =
      mediaKind === undefined
        ? await exchangeFee(directory, svc, prepared.model, t, loadCatalog)
        : {
            inputFee: media?.bill?.inputFee ?? 0n,
            outputFee: media?.bill?.outputFee ?? 0n,
            fee: media?.bill?.fee ?? 0n,
          }
    const units = { images: media?.bill?.images, audioSeconds: media?.bill?.audioSeconds }
    report({
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
    })
    return { receipt, error, level }
  }

  /** One attempt under `limits`; the connection closes when `signal` aborts (or a limit trips). */
  const send = (
    prepared: Prepared,
    authorization: string | undefined,
    signal: AbortSignal | null | undefined,
    limits: ProviderLimits,
  ): Promise<BoundedResponse> => {
    const headers = authorization === undefined ? prepared.headers : { ...prepared.headers, authorization }
    const target = { provider: service?.provider ?? provider, url: prepared.url }
    return providerSend(context, target, { method: prepared.method, headers, body: prepared.body }, limits, {
      signal,
      fetch: config.fetch,
      unreachable: (cause) => new ProviderUnreachable({ ...target, cause }),
    })
  }

  const call = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const startedAt = Date.now()
    // The directory's shared cache: a refresh elsewhere (getService, the funding loop) is seen by the next request.
    const svc = directory.peek(provider) ?? (await run(directory.cached(provider)))
    service = svc
    const p = prepare(svc, input, init)
    const prepared = p instanceof Promise ? await p : p
    if (!prepared.billed) {
      const c = credential()
      const cred = c instanceof Promise ? await c : c
      const r = await send(prepared, Redacted.value(cred.authorization), init?.signal, config.metadataLimits)
      return new Response(boundedBody(r), {
        status: r.response.status,
        statusText: r.response.statusText,
        headers: copyHeaders(r.response.headers, {}),
      })
    }
    // Refused before anything is sent, so nothing is billed: a route of another service type, a provider we cannot
    // verify (unless the caller opted in), a media request whose answer could not be verified.
    const kind = serviceKind(svc, prepared.path)
    const refusal = verificationRefusal(svc)
    if (refusal !== undefined && options.allowUnverifiable !== true) throw refusal
    if (prepared.body === undefined) throw new UnsupportedRequest({ reason: "a billed request needs a body" })
    const mediaRequest =
      kind === "chatbot"
        ? undefined
        : await refuseUnverifiableMedia(kind, prepared.body, prepared.headers["content-type"])
    // The caller's abort cancels the request at once until the response starts: after that the provider bills what
    // it generates, so the body is still read (verified and recorded) for the drain window while the caller sees the
    // abort; then the connection is closed.
    const callerSignal = init?.signal ?? undefined
    // No caller signal, nothing to forward: no controller (and no signal) per request.
    const upstream = callerSignal === undefined ? undefined : new AbortController()
    let started = false
    let exchange: BoundedResponse | undefined
    const onAbort = () => {
      if (!started) upstream?.abort(callerSignal?.reason)
      else exchange?.shorten(config.drainAfterAbortMs)
    }
    if (callerSignal?.aborted) onAbort()
    else callerSignal?.addEventListener("abort", onAbort, { once: true })
    const limits = config.requestLimits
    let response: Response | undefined
    for (let attempt = 0; response === undefined; attempt++) {
      const c = credential()
      const cred = c instanceof Promise ? await c : c
      const r = await send(prepared, Redacted.value(cred.authorization), upstream?.signal, limits)
      if (r.response.ok) {
        exchange = r
        response = r.response
        break
      }
      const text = await r.text().catch(() => "")
      const rejection = mapRejection(
        { provider: svc.provider, url: prepared.url, user: auth.user, tokenId: cred.tokenId },
        r.response.status,
        text,
      )
      if (attempt === 0 && fixedCredential === undefined && AUTH_RETRY_TAGS.has(rejection._tag)) {
        await run(auth.invalidate(provider, { generation: true }))
        continue
      }
      throw rejection
    }
    started = true
    const ex = exchange as BoundedResponse
    if (callerSignal?.aborted) ex.shorten(config.drainAfterAbortMs)
    const base = { requestId: newRequestId(), startedAt, requestHash: sha256Hex(prepared.body) }
    const headerChatId = response.headers.get("zg-res-key") ?? undefined
    const extra = { "x-zg-request-id": base.requestId, "x-zg-provider": svc.provider }
    const isStream = prepared.stream || (response.headers.get("content-type") ?? "").includes("text/event-stream")

    if (isStream && response.body !== null) {
      const streamLimits = {
        provider: svc.provider,
        url: prepared.url,
        maxEventBytes: config.maxSseEventBytes,
        drainAfterAbortMs: config.drainAfterAbortMs,
      }
      const body = verifyingStream(
        ex,
        streamLimits,
        async (outcome) => {
          // The caller aborted (its signal): surface the abort itself, as fetch would, not a provider failure.
          const aborted = init?.signal?.aborted === true && outcome.readError !== undefined
          const early = aborted ? (outcome.readError as Error) : streamFailure(svc.provider, outcome)
          const s = outcome.scanner
          const tokens = s.usage ?? (s.done ? { promptTokens: 0, completionTokens: s.generatedWords } : undefined)
          const { error } = await finishExchange(
            prepared,
            svc,
            base,
            signatureKey(svc, headerChatId, s.id),
            outcome.responseHash,
            tokens,
            early,
          )
          return error
        },
        callerSignal,
      )
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: copyHeaders(response.headers, extra),
      })
    }

    let bytes: Uint8Array
    try {
      bytes = await ex.bytes()
    } catch (e) {
      // The provider answered 200 and bills this request: record it (fee unknown) before failing.
      await finishExchange(prepared, svc, base, headerChatId, "", undefined, e as Error)
      // Cut off after the caller left (the drain window ran out): surface the abort, as fetch would.
      if (callerSignal?.aborted) throw callerSignal.reason ?? e
      throw e
    }
    let json: unknown
    const text = decoder.decode(bytes)
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    const media =
      kind === "chatbot"
        ? undefined
        : {
            kind,
            bill: mediaBill(svc, kind, json, text, mediaRequest),
            ...(kind === "speech-to-text" ? {} : { images: imageHashes(json) }),
          }
    const tokens = media?.bill ??
      (isRecord(json) ? usageOf(json.usage) : undefined) ?? {
        promptTokens: 0,
        completionTokens: isRecord(json) ? choiceWords(json.choices) : wordCount(text),
      }
    const chatId = signatureKey(svc, headerChatId, isRecord(json) && typeof json.id === "string" ? json.id : undefined)
    const { receipt, error, level } = await finishExchange(
      prepared,
      svc,
      base,
      chatId,
      sha256Hex(bytes),
      // A chat's usage keeps its cache token counts: the broker bills them (billing.ts).
      media === undefined ? tokens : { promptTokens: tokens.promptTokens, completionTokens: tokens.completionTokens },
      undefined,
      media,
    )
    if (callerSignal?.aborted) throw callerSignal.reason ?? new DOMException("The operation was aborted.", "AbortError")
    if (error !== undefined) throw error
    return new Response(bytes as BodyInit, {
      status: response.status,
      statusText: response.statusText,
      headers: copyHeaders(response.headers, {
        ...extra,
        "x-zg-verified": receipt?._tag ?? (level === "unverifiable" ? "Unverifiable" : "Verified"),
        "x-zg-verification-level": level ?? "bytes-bound",
      }),
    })
  }

  const fetchFn = (input: RequestInfo | URL, init?: RequestInit) => call(input, init)
  return Object.assign(fetchFn, { provider })
}
