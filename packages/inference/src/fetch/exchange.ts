/**
 * The Effect face of the verifying fetch: one billed (or metadata) exchange with a provider whose failures are the
 * named union {@link InferenceFetchError}, for Effect programs (the CLI) that would otherwise wrap the Promise fetch
 * and lose the tags. It runs the very same code path (`makeInferenceFetch`'s exchange); interrupting the fiber aborts
 * the request as the fetch's `signal` does.
 */
import type { InvalidAddress, ProviderLimitError } from "@0g-compute/core"
import type { InvalidSessionTokenParams, SignerMismatch, SigningFailed } from "@0g-compute/crypto"
import { Effect, Stream } from "effect"
import type { ReadError } from "../chain-reads.js"
import type {
  ProviderStreamFailed,
  ServiceNotFound,
  ServiceTypeMismatch,
  UnsupportedRequest,
  UrlNotForProvider,
} from "../errors.js"
import type { VerificationError } from "../verify/verifier.js"
import type { ExchangeResult, InferenceFetch, InferenceFetchOptions } from "./adapter.js"

/**
 * Every tagged error the verifying fetch rejects with (and its stream errors with): finding the provider, signing the
 * session, shaping the request, the provider's refusals and limits, and verification.
 */
export type InferenceFetchError =
  | ServiceNotFound
  | InvalidAddress
  | ReadError
  | InvalidSessionTokenParams
  | SigningFailed
  | SignerMismatch
  | UrlNotForProvider
  | UnsupportedRequest
  | ServiceTypeMismatch
  | ProviderStreamFailed
  | ProviderLimitError
  | VerificationError

/** The tags of {@link InferenceFetchError}; the two checks below keep the list and the union equal. */
export const INFERENCE_FETCH_ERROR_TAGS = [
  "ServiceNotFound",
  "InvalidAddress",
  "ContractRevert",
  "RpcError",
  "MalformedData",
  "InvalidSessionTokenParams",
  "SigningFailed",
  "SignerMismatch",
  "UrlNotForProvider",
  "UnsupportedRequest",
  "ServiceTypeMismatch",
  "ProviderStreamFailed",
  "ProviderTimeout",
  "ProviderBodyTooLarge",
  "ServiceNotVerifiable",
  "ProviderNotAcknowledged",
  "ResponseSignatureMissing",
  "MalformedResponseSignature",
  "WrongResponseSigner",
  "RequestAltered",
  "ResponseTampered",
  "ResponseBindingUnknown",
  "ProviderUnreachable",
  "ProviderHttpError",
  "SubAccountMissing",
  "InsufficientSubAccountBalance",
  "TokenExpired",
  "TokenRevoked",
  "TokenRejected",
  "MalformedProviderResponse",
] as const satisfies ReadonlyArray<InferenceFetchError["_tag"]>
type Missing = Exclude<InferenceFetchError["_tag"], (typeof INFERENCE_FETCH_ERROR_TAGS)[number]>
const complete: [Missing] extends [never] ? true : Missing = true
void complete

const TAGS: ReadonlySet<string> = new Set(INFERENCE_FETCH_ERROR_TAGS)

export const isInferenceFetchError = (u: unknown): u is InferenceFetchError =>
  u instanceof Error && TAGS.has((u as { _tag?: unknown })._tag as string)

/** A rejection of the fetch as a typed failure; anything else (a bug, the abort of an interrupted fiber) is a defect. */
const typed = (e: unknown): Effect.Effect<never, InferenceFetchError> =>
  isInferenceFetchError(e) ? Effect.fail(e) : Effect.die(e)

const attempt = <A>(f: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, InferenceFetchError> =>
  Effect.tryPromise({ try: f, catch: (e) => e }).pipe(Effect.catch(typed))

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

/** The exchange faces for one provider over the fetch factory `fetchFor` and the provider's service URL. */
export const makeExchange = (
  fetchFor: (options: InferenceFetchOptions) => InferenceFetch,
  serviceUrl: Effect.Effect<string, InferenceFetchError>,
  request: ExchangeRequest,
  options: InferenceFetchOptions = {},
) => {
  const url = /^https?:\/\//.test(request.path)
    ? Effect.succeed(request.path)
    : Effect.map(serviceUrl, (base) => `${base}${request.path}`)
  /** One run's fetch and the result it reports: an Effect may run again (retried, repeated, raced) with its own. */
  const begin = () => {
    let result: ExchangeResult | undefined
    const fetch = fetchFor({
      ...options,
      onExchange: (x) => {
        result = x
        options.onExchange?.(x)
      },
    })
    const send = (target: string, signal: AbortSignal) =>
      fetch(target, {
        method: request.method ?? "POST",
        headers: request.headers ?? {},
        body: (request.body ?? null) as BodyInit | null,
        signal,
      })
    return { send, result: () => result }
  }
  // One signal over the request and the body read: interrupting the fiber while the answer arrives aborts it too.
  const reply: Effect.Effect<ExchangeReply, InferenceFetchError> = Effect.flatMap(url, (target) =>
    Effect.suspend(() => {
      const run = begin()
      return attempt(async (signal) => {
        const res = await run.send(target, signal)
        const text = await res.text()
        return { status: res.status, headers: res.headers, text, exchange: run.result() }
      })
    }),
  )
  const stream: Effect.Effect<ExchangeStream, InferenceFetchError> = Effect.flatMap(url, (target) =>
    Effect.suspend(() => {
      const run = begin()
      return Effect.map(
        attempt((signal) => run.send(target, signal)),
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
