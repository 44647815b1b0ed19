/**
 * The Effect face of the verifying exchange: one billed (or metadata) exchange with a provider whose failures are the
 * named union {@link InferenceFetchError}, for Effect programs (the CLI). It runs the exchange Effect (billed.ts)
 * directly, the same one the WHATWG fetch is a thin edge over; interrupting the fiber aborts the request as the
 * fetch's `signal` does.
 */
import { Effect, Fiber, Stream } from "effect"
import type { ExchangeResult, InferenceFetchOptions } from "./adapter.js"
import type { ExchangeCore } from "./billed.js"
import { type InferenceFetchError, settled, typed } from "./fetch-error.js"

export {
  INFERENCE_FETCH_ERROR_TAGS,
  type InferenceFetchError,
  isInferenceFetchError,
} from "./fetch-error.js"

export interface ExchangeRequest {
  /** A path under the provider's service URL (`/v1/proxy/chat/completions`), or a full URL inside it. */
  readonly path: string
  /** Default POST. */
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string | Uint8Array | FormData
}

/** A finished exchange: its whole body, already verified (a stream was read to its end, where it is checked). */
export interface ExchangeReply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  /** The billed exchange's record, level and receipt; undefined for an unbilled (metadata) request. */
  readonly exchange: ExchangeResult | undefined
}

/** A streamed exchange: the verified bytes as they arrive; the stream fails typed where verification fails. */
export interface ExchangeStream {
  readonly status: number
  readonly headers: Headers
  readonly body: Stream.Stream<Uint8Array, InferenceFetchError>
  /** The billed exchange's result, once the body has ended (undefined before, and for unbilled requests). */
  readonly exchange: () => ExchangeResult | undefined
}

/**
 * Runs `f`'s exchange on a fiber of its own with an abort signal: interrupting the caller aborts the signal, as a
 * fetch caller's abort does (the request is cancelled, or a started answer is read, verified and recorded for the
 * drain window), instead of cutting the exchange off mid-record.
 */
const abortable = <A>(f: (signal: AbortSignal) => Effect.Effect<A, InferenceFetchError>) =>
  Effect.suspend(() => {
    const controller = new AbortController()
    return Effect.flatMap(Effect.forkDetach(f(controller.signal)), (fiber) =>
      Fiber.join(fiber).pipe(Effect.onInterrupt(() => Effect.sync(() => controller.abort()))),
    )
  })

/** The exchange faces for one provider over the exchange factory `exchangeFor` and the provider's service URL. */
export const makeExchange = (
  exchangeFor: (options: InferenceFetchOptions) => ExchangeCore,
  serviceUrl: Effect.Effect<string, InferenceFetchError>,
  request: ExchangeRequest,
  options: InferenceFetchOptions = {},
) => {
  const url = /^https?:\/\//.test(request.path)
    ? Effect.succeed(request.path)
    : Effect.map(serviceUrl, (base) => `${base}${request.path}`)
  /** One run's exchange and the result it reports: an Effect may run again (retried, repeated, raced) with its own. */
  const begin = (target: string, signal: AbortSignal) => {
    let result: ExchangeResult | undefined
    const exchange = exchangeFor({
      ...options,
      onExchange: (x) => {
        result = x
        options.onExchange?.(x)
      },
    })
    const response = exchange(target, {
      method: request.method ?? "POST",
      headers: request.headers ?? {},
      body: (request.body ?? null) as BodyInit | null,
      signal,
    })
    return { response, result: () => result }
  }
  // One signal over the request and the body read: interrupting the fiber while the answer arrives aborts it too.
  const reply: Effect.Effect<ExchangeReply, InferenceFetchError> = Effect.flatMap(url, (target) =>
    abortable((signal) => {
      const run = begin(target, signal)
      return Effect.flatMap(run.response, (res) =>
        Effect.map(
          settled(() => res.text()),
          (text): ExchangeReply => ({ status: res.status, headers: res.headers, text, exchange: run.result() }),
        ),
      )
    }),
  )
  const stream: Effect.Effect<ExchangeStream, InferenceFetchError> = Effect.flatMap(url, (target) =>
    abortable((signal) => {
      const run = begin(target, signal)
      return Effect.map(
        run.response,
        (res): ExchangeStream => ({
          status: res.status,
          headers: res.headers,
          body:
            res.body === null
              ? Stream.empty
              : Stream.fromReadableStream({
                  evaluate: () => res.body as ReadableStream<Uint8Array>,
                  onError: (e) => e,
                }).pipe(Stream.catch((e) => Stream.fromEffect(typed(e)))),
          exchange: run.result,
        }),
      )
    }),
  )
  return { reply, stream }
}
