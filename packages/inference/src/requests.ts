/**
 * `InferenceRequests`: the OpenAI drop-in. `fetch(provider)` returns a WHATWG fetch bound to one provider (see
 * fetch/adapter.ts, a thin edge over the exchange Effect of fetch/billed.ts); `openAIOptions(provider)` returns
 * everything `new OpenAI(...)` needs; `exchange` and `exchangeStream` run that exchange Effect directly, failing with
 * {@link InferenceFetchError} (fetch/exchange.ts).
 */
import { Context, Effect, Layer } from "effect"
import { RequestAuth } from "./auth/session.js"
import { InferenceConfig } from "./config.js"
import { Directory, type LookupError } from "./directory.js"
import { type FetchDeps, type InferenceFetch, type InferenceFetchOptions, makeInferenceFetch } from "./fetch/adapter.js"
import { makeExchangeCore } from "./fetch/billed.js"
import {
  type ExchangeReply,
  type ExchangeRequest,
  type ExchangeStream,
  type InferenceFetchError,
  makeExchange,
} from "./fetch/exchange.js"
import { UsageMeter } from "./usage.js"

export interface OpenAIClientOptions {
  /** `<service url>/v1/proxy`. */
  readonly baseURL: string
  /** The OpenAI SDK requires one; the fetch replaces it with the session token. */
  readonly apiKey: string
  readonly fetch: InferenceFetch
  /**
   * 0: a rejected fetch (e.g. a failed verification) must not be retried silently — each retry is billed again.
   * Retry yourself where it makes sense.
   */
  readonly maxRetries: number
}

export interface InferenceRequestsShape {
  readonly fetch: (provider: string, options?: InferenceFetchOptions) => InferenceFetch
  readonly openAIOptions: (
    provider: string,
    options?: InferenceFetchOptions,
  ) => Effect.Effect<OpenAIClientOptions, LookupError>
  /**
   * One exchange, its body read whole (a stream to its end) and verified before the Effect succeeds.
   *
   * @example
   * const reply = yield* requests.exchange(provider, {
   *   path: "/v1/proxy/chat/completions",
   *   headers: { "content-type": "application/json" },
   *   body: JSON.stringify({ model, messages }),
   * })
   */
  readonly exchange: (
    provider: string,
    request: ExchangeRequest,
    options?: InferenceFetchOptions,
  ) => Effect.Effect<ExchangeReply, InferenceFetchError>
  /** One exchange whose body is handed on as it arrives; the stream fails typed where verification fails. */
  readonly exchangeStream: (
    provider: string,
    request: ExchangeRequest,
    options?: InferenceFetchOptions,
  ) => Effect.Effect<ExchangeStream, InferenceFetchError>
}

export class InferenceRequests extends Context.Service<InferenceRequests, InferenceRequestsShape>()(
  "zg/inference/InferenceRequests",
) {
  /** Needs `Directory`, `RequestAuth` and `UsageMeter`. */
  static readonly layer = Layer.effect(
    InferenceRequests,
    Effect.gen(function* () {
      const context = yield* Effect.context<FetchDeps>()
      const services = {
        directory: yield* Directory,
        auth: yield* RequestAuth,
        usage: yield* UsageMeter,
        config: yield* InferenceConfig,
      }
      const exchangeFor = (provider: string, options?: InferenceFetchOptions) =>
        makeExchangeCore(provider, context, services, options)
      const fetch = (provider: string, options?: InferenceFetchOptions) =>
        makeInferenceFetch(provider, exchangeFor(provider, options))
      const openAIOptions = Effect.fn("InferenceRequests.openAIOptions")(function* (
        provider: string,
        options?: InferenceFetchOptions,
      ) {
        const service = yield* services.directory.cached(provider)
        return {
          baseURL: `${service.url}/v1/proxy`,
          apiKey: "unused",
          fetch: fetch(service.provider, options),
          maxRetries: 0,
        }
      })
      const serviceUrl = (provider: string) => Effect.map(services.directory.cached(provider), (s) => s.url)
      const faces = (provider: string, request: ExchangeRequest, options?: InferenceFetchOptions) =>
        makeExchange((o) => exchangeFor(provider, o), serviceUrl(provider), request, options)
      return InferenceRequests.of({
        fetch,
        openAIOptions,
        exchange: (provider, request, options) => faces(provider, request, options).reply,
        exchangeStream: (provider, request, options) => faces(provider, request, options).stream,
      })
    }),
  )
}
