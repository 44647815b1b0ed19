/**
 * Provider HTTP: one place that turns provider answers into typed errors, on core's provider exchange (the context's
 * `HttpClient`, else fetch with the configured `fetch`). A connection failure is
 * `ProviderUnreachable`; a non-2xx answer is mapped from the broker's `{"error": "..."}` message (§4.4) to the admission
 * error it describes (missing sub-account, insufficient balance, expired/revoked token…), else `ProviderHttpError`.
 * Every body is read under core's provider limits (deadlines, byte ceiling, cancellation): `ProviderTimeout` and
 * `ProviderBodyTooLarge` pass through unchanged.
 */
import {
  isProviderLimitError,
  type ProviderLimitError,
  type ProviderLimits,
  type ProviderRequestInit,
  parseZGResult,
  providerErrorDetail,
  providerExchange,
  providerRequest,
  readBoundedBytes,
} from "@0g-compute/core"
import { Effect, Result, type Schema } from "effect"
import { InferenceConfig } from "./config.js"
import {
  InsufficientSubAccountBalance,
  type MalformedProviderResponse,
  ProviderHttpError,
  ProviderNotAcknowledged,
  ProviderUnreachable,
  SubAccountMissing,
  TokenExpired,
  TokenRejected,
  TokenRevoked,
} from "./errors.js"
import { decodeProviderJson, parseProviderJson } from "./schemas.js"

/** A non-2xx answer mapped to its typed error, or a provider that broke our limits (deadline, body ceiling). */
export type ProviderRejection =
  | ProviderLimitError
  | ProviderHttpError
  | ProviderNotAcknowledged
  | SubAccountMissing
  | InsufficientSubAccountBalance
  | TokenExpired
  | TokenRevoked
  | TokenRejected

export interface RejectionContext {
  readonly provider: string
  readonly url: string
  readonly user?: string | undefined
  /** tokenId of the credential that was sent, if any. */
  readonly tokenId?: number | undefined
}

/** The broker's error message: the JSON `error` field (string or `{message}`), else the start of the body. */
export const errorDetail = providerErrorDetail

const amount = (s: string | undefined) => {
  if (s === undefined) return undefined
  const r = parseZGResult(s)
  return Result.isSuccess(r) ? r.success : undefined
}

/** Maps a non-2xx provider answer to the most specific typed error. */
export const mapRejection = (ctx: RejectionContext, status: number, body: string): ProviderRejection => {
  const detail = errorDetail(body)
  const m = detail.toLowerCase()
  const { provider } = ctx
  if (/insufficient balance|insufficient locked balance|balance is not enough/.test(m)) {
    const locked = /locked balance is ([\d.]+)/.exec(m)?.[1]
    const required = /required(?: minimum)? is ([\d.]+)/.exec(m)?.[1]
    return new InsufficientSubAccountBalance({ provider, required: amount(required), available: amount(locked) })
  }
  if (/account not exist|account does not exist|accountnotexists|no sub-account|sub-account not found/.test(m)) {
    return new SubAccountMissing({ user: ctx.user ?? "", provider })
  }
  if (/not acknowledge/.test(m)) {
    const owner = /tee ?signer.*not acknowledged by (the )?owner|service.*not acknowledged|owner/.test(m)
    return new ProviderNotAcknowledged({ provider, level: owner ? "owner" : "user" })
  }
  if (/expired/.test(m) && /token|session|key/.test(m)) return new TokenExpired({ provider, tokenId: ctx.tokenId })
  if (/revoked/.test(m)) return new TokenRevoked({ provider, tokenId: ctx.tokenId })
  if (status === 401 || /validate session|session token|authorization|api key/.test(m)) {
    return new TokenRejected({ provider, detail })
  }
  return new ProviderHttpError({ provider, url: ctx.url, status, detail })
}

const unreachable = (provider: string, url: string) => (cause: unknown) =>
  cause instanceof ProviderUnreachable || isProviderLimitError(cause)
    ? cause
    : new ProviderUnreachable({ provider, url, cause })

/**
 * One provider call under `limits` (default: the metadata limits): status and the whole body as text, read under the
 * deadlines and the byte ceiling. Interrupting the effect closes the connection.
 */
export const providerText = (
  ctx: { readonly provider: string; readonly url: string },
  init: ProviderRequestInit = {},
  limits?: ProviderLimits,
): Effect.Effect<{ readonly status: number; readonly text: string }, ProviderUnreachable | ProviderLimitError> =>
  Effect.gen(function* () {
    const config = yield* InferenceConfig
    const wrap = unreachable(ctx.provider, ctx.url)
    const fail = (e: unknown) => wrap(e) as ProviderUnreachable | ProviderLimitError
    const r = yield* providerExchange(providerRequest(ctx.url, init), ctx, limits ?? config.metadataLimits, {
      fetch: config.fetch,
      unreachable: fail,
    })
    const bytes = yield* readBoundedBytes(r, fail)
    return { status: r.response.status, text: decoder.decode(bytes) }
  })

const decoder = new TextDecoder()

/** Model catalogues can be large (a multi-model provider, a network's status API): at least the official SDK's 5 MB. */
export const CATALOGUE_MAX_BYTES = 5_000_000

/** The metadata limits with the catalogue's byte ceiling. */
export const catalogueLimits = Effect.gen(function* () {
  const c = yield* InferenceConfig
  return { ...c.metadataLimits, maxBytes: Math.max(c.metadataLimits.maxBytes, CATALOGUE_MAX_BYTES) }
})

/** GET/POST returning decoded JSON; non-2xx answers become typed rejections. */
export const providerJson = <S extends Schema.Decoder<unknown>>(
  ctx: RejectionContext,
  schema: S,
  what: string,
  init: ProviderRequestInit = {},
  limits?: ProviderLimits,
): Effect.Effect<S["Type"], ProviderUnreachable | ProviderRejection | MalformedProviderResponse> =>
  Effect.gen(function* () {
    const { status, text } = yield* providerText(ctx, init, limits)
    if (status < 200 || status > 299) return yield* mapRejection(ctx, status, text)
    const json = yield* parseProviderJson(text, ctx.provider, what)
    return yield* decodeProviderJson(schema, ctx.provider, what)(json)
  })
