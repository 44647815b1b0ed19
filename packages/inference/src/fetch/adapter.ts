/**
 * `inference.fetch(provider)`: a WHATWG `fetch` that any OpenAI client accepts
 * (`new OpenAI({ baseURL: <url>/v1/proxy, apiKey: "unused", fetch })`). A thin edge over the exchange Effect
 * (billed.ts): one run per call, resolving to its Response or rejecting with the tagged error it failed with (the
 * caller's abort reason when the caller aborted), as a fetch would.
 */
import { Cause, Effect, Exit, type Redacted } from "effect"
import type { RequestAuth } from "../auth/session.js"
import type { Directory } from "../directory.js"
import type { UsageMeter, UsageRecord } from "../usage.js"
import type { VerificationLevel } from "../verify/levels.js"
import type { Receipt } from "../verify/verifier.js"
import type { ExchangeCore } from "./billed.js"

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

/** The fetch for one provider: each call runs `exchange` once (no other fiber, no logic of its own). */
export const makeInferenceFetch = (provider: string, exchange: ExchangeCore): InferenceFetch => {
  const fetchFn = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    Effect.runPromiseExit(exchange(input, init)).then((exit) => {
      if (Exit.isSuccess(exit)) return exit.value
      throw Cause.squash(exit.cause)
    })
  return Object.assign(fetchFn, { provider })
}
