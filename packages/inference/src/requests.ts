/**
 * `InferenceRequests`: the OpenAI drop-in. `fetch(provider)` returns a WHATWG fetch bound to one provider (see
 * fetch/adapter.ts); `openAIOptions(provider)` returns everything `new OpenAI(...)` needs.
 */
import { Context, Effect, Layer } from "effect"
import { RequestAuth } from "./auth/session.js"
import { InferenceConfig } from "./config.js"
import { Directory, type LookupError } from "./directory.js"
import { type FetchDeps, type InferenceFetch, type InferenceFetchOptions, makeInferenceFetch } from "./fetch/adapter.js"
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
      const fetch = (provider: string, options?: InferenceFetchOptions) =>
        makeInferenceFetch(provider, context, services, options)
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
      return InferenceRequests.of({ fetch, openAIOptions })
    }),
  )
}
