/**
 * One exchange with a provider as an Effect failing with {@link InferenceFetchError}: the core both faces run
 * (`InferenceRequests.fetch`'s WHATWG fetch and `InferenceRequests.exchange`). For a billed call it
 *
 * 1. refuses URLs outside the provider's service URL (credentials never go elsewhere);
 * 2. serializes the body once and sends exactly those bytes (streams get `stream_options.include_usage` added by us,
 *    so the provider has no reason to rewrite the request), with `Accept-Encoding: identity`;
 * 3. attaches the cached ephemeral session token (no chain read, no signature in steady state);
 * 4. maps provider rejections to typed errors, and retries once with a fresh token after an expiry/revocation;
 * 5. verifies the response against the exact bytes — non-stream: before succeeding (a failed verification fails);
 *    stream: at the end, before `[DONE]` is delivered (a failed verification errors the stream);
 * 6. records usage and fee (the broker's formula: tiers, cache prices, per-model prices) in the `UsageMeter`.
 *
 * Every response is read under the configured limits (deadlines, byte ceiling, SSE event cap): a stalled or endless
 * provider fails with `ProviderTimeout` / `ProviderBodyTooLarge` and its connection is closed. The caller's abort is
 * a signal, not an interruption: after the response started the provider bills what it generates, so the body is
 * still read, verified and recorded for the drain window.
 */
import { type BoundedResponse, isRecord, type ProviderLimits, providerSend } from "@0g-compute/core"
import { parseApiKey } from "@0g-compute/crypto"
import { Context, Effect, Redacted } from "effect"
import type { RequestAuth } from "../auth/session.js"
import { InferenceConfig, type InferenceConfigShape } from "../config.js"
import type { Directory } from "../directory.js"
import { ProviderHttpError, ProviderUnreachable, UnsupportedRequest } from "../errors.js"
import { mapRejection } from "../http.js"
import type { UsageMeter } from "../usage.js"
import { sha256Hex } from "../verify/digests.js"
import { signatureKey } from "../verify/levels.js"
import { bodyUsage, wordCount } from "../verify/sse.js"
import { verificationRefusal } from "../verify/verifier.js"
import type { FetchDeps, InferenceFetchOptions } from "./adapter.js"
import { boundedBody, choiceWords, newRequestId } from "./exchange-parts.js"
import { type InferenceFetchError, settled, typed } from "./fetch-error.js"
import { imageHashes, mediaBill, refuseUnverifiableMedia, serviceKind } from "./media.js"
import { copyHeaders, type Prepared, prepare } from "./prepare.js"
import { makeSettle } from "./settle.js"
import { streamResponse } from "./stream-exchange.js"

export interface ExchangeServices {
  readonly directory: Directory["Service"]
  readonly auth: RequestAuth["Service"]
  readonly usage: UsageMeter["Service"]
  readonly config: InferenceConfigShape
}

/** One exchange: the request as a fetch gets it; the caller's abort comes as `init.signal`. */
export type ExchangeCore = (
  input: RequestInfo | URL,
  init?: RequestInit,
) => Effect.Effect<Response, InferenceFetchError>

const decoder = new TextDecoder()
const AUTH_RETRY_TAGS = new Set(["TokenExpired", "TokenRevoked", "TokenRejected"])
const aborted = () => new DOMException("The operation was aborted.", "AbortError")

/** The exchange for one provider over a context holding the inference services. */
export const makeExchangeCore = (
  provider: string,
  context: Context.Context<FetchDeps>,
  services: ExchangeServices,
  options: InferenceFetchOptions = {},
): ExchangeCore => {
  const { directory, auth, config } = services
  // The services' own reads of the config (session lifetime, directory HTTP) see this client's, not the default.
  const withConfig = Context.add(context, InferenceConfig, config)
  const settle = makeSettle({ ...services, options, context: withConfig })
  const provided = <A, E>(effect: Effect.Effect<A, E, FetchDeps>) => Effect.provideContext(effect, withConfig)
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
    return cached === undefined ? provided(auth.session(provider)) : Effect.succeed(cached)
  }
  // The directory's shared cache: a refresh elsewhere (getService, the funding loop) is seen by the next request.
  const service = () => {
    const svc = directory.peek(provider)
    return svc === undefined ? provided(directory.cached(provider)) : Effect.succeed(svc)
  }

  /** One attempt under `limits`; the connection closes when `signal` aborts (or a limit trips). */
  const send = (
    prepared: Prepared,
    target: { provider: string; url: string },
    authorization: string | undefined,
    signal: AbortSignal | null | undefined,
    limits: ProviderLimits,
  ) => {
    const headers = authorization === undefined ? prepared.headers : { ...prepared.headers, authorization }
    return settled(() =>
      providerSend(context, target, { method: prepared.method, headers, body: prepared.body }, limits, {
        signal,
        fetch: config.fetch,
        unreachable: (cause) => new ProviderUnreachable({ ...target, cause }),
      }),
    )
  }

  return (input, init) =>
    Effect.gen(function* () {
      const startedAt = Date.now()
      const svc = yield* service()
      const prepared = yield* settled(() => prepare(svc, input, init))
      const target = { provider: svc.provider, url: prepared.url }
      if (!prepared.billed) {
        const cred = yield* credential()
        const r = yield* send(prepared, target, Redacted.value(cred.authorization), init?.signal, config.metadataLimits)
        return new Response(boundedBody(r), {
          status: r.response.status,
          statusText: r.response.statusText,
          headers: copyHeaders(r.response.headers, {}),
        })
      }
      // Refused before anything is sent, so nothing is billed: a route of another service type, a provider we
      // cannot verify (unless the caller opted in), a media request whose answer could not be verified.
      const kind = yield* settled(() => serviceKind(svc, prepared.path))
      const refusal = verificationRefusal(svc)
      if (refusal !== undefined && options.allowUnverifiable !== true) return yield* Effect.fail(refusal)
      const body = prepared.body
      if (body === undefined) {
        return yield* Effect.fail(new UnsupportedRequest({ reason: "a billed request needs a body" }))
      }
      const mediaRequest =
        kind === "chatbot"
          ? undefined
          : yield* settled(() => refuseUnverifiableMedia(kind, body, prepared.headers["content-type"]))
      // The caller's abort cancels the request at once until the response starts: after that the provider bills
      // what it generates, so the body is still read (verified and recorded) for the drain window while the caller
      // sees the abort; then the connection is closed.
      const callerSignal = init?.signal ?? undefined
      // No caller signal, nothing to forward: no controller (and no signal) per request.
      const upstream = callerSignal === undefined ? undefined : new AbortController()
      let exchange: BoundedResponse | undefined
      const onAbort = () => {
        if (exchange === undefined) upstream?.abort(callerSignal?.reason)
        else exchange.shorten(config.drainAfterAbortMs)
      }
      if (callerSignal?.aborted) onAbort()
      else callerSignal?.addEventListener("abort", onAbort, { once: true })
      for (let attempt = 0; exchange === undefined; attempt++) {
        const cred = yield* credential()
        const r = yield* send(
          prepared,
          target,
          Redacted.value(cred.authorization),
          upstream?.signal,
          config.requestLimits,
        )
        if (r.response.status === 200) {
          exchange = r
          break
        }
        const text = yield* Effect.promise(() => r.text().catch(() => ""))
        // The broker bills and signs a 200 only; any other answer (a 201 or 204 too) is its upstream's, relayed.
        if (r.response.ok) {
          const detail = `answered ${r.response.status} instead of 200: relayed from its upstream, neither billed nor signed`
          return yield* Effect.fail(
            new ProviderHttpError({ provider: svc.provider, url: prepared.url, status: r.response.status, detail }),
          )
        }
        const rejection = mapRejection(
          { provider: svc.provider, url: prepared.url, user: auth.user, tokenId: cred.tokenId },
          r.response.status,
          text,
        )
        if (attempt === 0 && fixedCredential === undefined && AUTH_RETRY_TAGS.has(rejection._tag)) {
          yield* provided(auth.invalidate(provider, { generation: true }))
          continue
        }
        return yield* Effect.fail(rejection)
      }
      const ex = exchange
      const response = ex.response
      if (callerSignal?.aborted) ex.shorten(config.drainAfterAbortMs)
      const base = { requestId: newRequestId(), startedAt, requestHash: sha256Hex(body) }
      const headerChatId = response.headers.get("zg-res-key") ?? undefined
      const extra = { "x-zg-request-id": base.requestId, "x-zg-provider": svc.provider }
      const isStream = prepared.stream || (response.headers.get("content-type") ?? "").includes("text/event-stream")
      if (isStream && response.body !== null) {
        return streamResponse({ ex, svc, prepared, base, headerChatId, extra, config, settle, callerSignal })
      }

      const read = yield* Effect.promise(() =>
        ex.bytes().then(
          (bytes) => ({ bytes, error: undefined }),
          (e: Error) => ({ bytes: undefined, error: e }),
        ),
      )
      if (read.bytes === undefined) {
        // The provider answered 200 and bills this request: record it (fee unknown) before failing.
        yield* settle(prepared, svc, base, headerChatId, "", undefined, read.error)
        // Cut off after the caller left (the drain window ran out): surface the abort, as fetch would.
        return yield* typed(callerSignal?.aborted ? (callerSignal.reason ?? read.error) : read.error)
      }
      const bytes = read.bytes
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
        bodyUsage(text, json) ?? {
          promptTokens: 0,
          completionTokens: isRecord(json) ? choiceWords(json.choices) : wordCount(text),
        }
      const chatId = signatureKey(
        svc,
        headerChatId,
        isRecord(json) && typeof json.id === "string" ? json.id : undefined,
      )
      const { receipt, error, level } = yield* settle(
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
      if (callerSignal?.aborted) return yield* typed(callerSignal.reason ?? aborted())
      if (error !== undefined) return yield* typed(error)
      return new Response(bytes as BodyInit, {
        status: response.status,
        statusText: response.statusText,
        headers: copyHeaders(response.headers, {
          ...extra,
          "x-zg-verified": receipt?._tag ?? (level === "unverifiable" ? "Unverifiable" : "Verified"),
          "x-zg-verification-level": level ?? "bytes-bound",
        }),
      })
    })
}
