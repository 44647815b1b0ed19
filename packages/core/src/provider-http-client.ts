/**
 * The provider exchange on Effect's `HttpClient`: the request goes out through whichever `HttpClient` the context
 * provides (fetch by default, with the caller's `fetch` if given), and its response is read under the same limits as
 * {@link boundedFetch} — phase deadlines, the body ceiling (a larger `content-length` refused unread), the caller's
 * `AbortSignal` and Effect interruption, each closing the connection and failing with the typed limit error.
 *
 * Every provider call of fine-tuning, the storage RPC and inference goes through here; inference's request path uses
 * {@link providerSend}, which skips the client machinery when the context holds no `HttpClient`.
 */
import { Cause, Context, Effect, Exit, Option, Stream } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest, HttpClientResponse, type HttpMethod } from "effect/http"
import {
  type BoundedFetchOptions,
  type BoundedResponse,
  boundedExchange,
  boundedFetch,
  type ExchangeTarget,
  isProviderLimitError,
  type ProviderLimitError,
  type ProviderLimits,
} from "./provider-http.js"

export interface ProviderExchangeOptions<E extends Error> {
  /** The caller's cancellation, besides interrupting the effect. */
  readonly signal?: AbortSignal | null | undefined
  /** The `fetch` a fetch-based client sends with (the default, or a fetch client from the context). */
  readonly fetch?: typeof globalThis.fetch | undefined
  /** Wraps a transport failure or the caller's abort reason; must return an error it made itself unchanged. */
  readonly unreachable: (cause: unknown) => E
}

/**
 * The fetch client, built once in an empty context (so no caller's services leak into another's requests): it reads
 * its `fetch` from the calling fiber, so one instance serves every caller.
 */
let fetchClient: HttpClient.HttpClient | undefined
const defaultClient = (): HttpClient.HttpClient => {
  fetchClient ??= Effect.runSync(Effect.provide(Effect.service(HttpClient.HttpClient), FetchHttpClient.layer))
  return fetchClient
}

/** The context's `HttpClient`, else the fetch client. */
const currentClient = (): Effect.Effect<HttpClient.HttpClient> =>
  Effect.map(Effect.serviceOption(HttpClient.HttpClient), (client) =>
    Option.isSome(client) ? client.value : defaultClient(),
  )

/** The platform `Response` behind a client response: fetch's own (its body handed over), else one over the stream. */
const platformResponse = (r: HttpClientResponse.HttpClientResponse): Response =>
  Option.getOrElse(
    HttpClientResponse.toWeb(r),
    () => new Response(Stream.toReadableStream(r.stream), { status: r.status, headers: r.headers }),
  )

/** The transport's own failure (connection refused, reset…), not the client's wrapper around it. */
const transportCause = (e: unknown): unknown =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "HttpClientError"
    ? ((e as { cause?: unknown }).cause ?? e)
    : e

/**
 * Sends `request` and resolves once the response headers arrived within the limits; the body is then read through
 * the returned {@link BoundedResponse}. Interrupting the effect before that closes the connection.
 */
export const providerExchange = <E extends Error>(
  request: HttpClientRequest.HttpClientRequest,
  target: ExchangeTarget,
  limits: ProviderLimits,
  options: ProviderExchangeOptions<E>,
): Effect.Effect<BoundedResponse, E | ProviderLimitError> =>
  Effect.gen(function* () {
    const client = yield* currentClient()
    const context = yield* Effect.context<never>()
    const fetchFn = options.fetch
    const response = client.execute(request).pipe(
      Effect.map(platformResponse),
      // Providers see no tracing headers (a browser would also need them allowed by CORS).
      Effect.provideService(HttpClient.TracerPropagationEnabled, false),
    )
    const execute = fetchFn === undefined ? response : Effect.provideService(response, FetchHttpClient.Fetch, fetchFn)
    const run = Effect.runPromiseWith(context)
    const exchange: BoundedFetchOptions = { unreachable: (cause) => options.unreachable(transportCause(cause)) }
    return yield* Effect.tryPromise({
      try: (signal) =>
        boundedExchange((abort) => run(execute, { signal: abort }), target, limits, {
          ...exchange,
          signal: options.signal ? AbortSignal.any([options.signal, signal]) : signal,
        }),
      catch: (e) => (isProviderLimitError(e) ? e : options.unreachable(e)),
    })
  })

/** The whole body under the exchange's limits; interrupting the effect closes the connection. */
export const readBoundedBytes = <E>(
  body: BoundedResponse,
  unreachable: (cause: unknown) => E,
): Effect.Effect<Uint8Array, E | ProviderLimitError> =>
  Effect.tryPromise({
    try: (signal) => {
      signal.addEventListener("abort", () => body.cancel(), { once: true })
      return body.bytes()
    },
    catch: (e) => (isProviderLimitError(e) ? e : unreachable(e)),
  })

/** A request as a request path holds it: method, header record, and the exact body bytes (or text). */
export interface ProviderRequestInit {
  readonly method?: string | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: Uint8Array | string | undefined
}

/** `init` as an `HttpClient` request to `url` (a string body as text, bytes as they are; content-type from `headers`). */
export const providerRequest = (url: string, init: ProviderRequestInit): HttpClientRequest.HttpClientRequest => {
  const method = (init.method ?? "GET").toUpperCase() as HttpMethod.HttpMethod
  const r = HttpClientRequest.make(method)(url, { headers: init.headers ?? {} })
  const type = init.headers?.["content-type"]
  if (init.body === undefined) return r
  return typeof init.body === "string"
    ? HttpClientRequest.bodyText(r, init.body, type)
    : HttpClientRequest.bodyUint8Array(r, init.body, type)
}

/**
 * {@link providerExchange} for code that runs without a fiber per request (inference's request path): through the
 * `HttpClient` in `context` when it holds one; otherwise the same exchange straight over `fetch`, since the default
 * client would add only cost there (about 0.2 ms of CPU per exchange, measured). Rejects like {@link boundedFetch}.
 */
export const providerSend = (
  context: Context.Context<never>,
  target: ExchangeTarget,
  init: ProviderRequestInit,
  limits: ProviderLimits,
  options: BoundedFetchOptions & { readonly fetch: typeof globalThis.fetch },
): Promise<BoundedResponse> => {
  if (Option.isNone(Context.getOption(context, HttpClient.HttpClient))) {
    const body = init.body as BodyInit | undefined
    const request = {
      method: init.method ?? "GET",
      headers: { ...init.headers },
      ...(body === undefined ? {} : { body }),
    }
    return boundedFetch(options.fetch, target, request, limits, options)
  }
  const exchange = providerExchange(providerRequest(target.url, init), target, limits, {
    signal: options.signal,
    fetch: options.fetch,
    unreachable: options.unreachable,
  })
  return Effect.runPromiseExitWith(context)(exchange).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  })
}
