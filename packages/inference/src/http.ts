/**
 * Provider HTTP: one place that turns fetch outcomes into typed errors. A connection failure is
 * `ProviderUnreachable`; a non-2xx answer is mapped from the broker's `{"error": "..."}` message (§4.4) to the admission
 * error it describes (missing sub-account, insufficient balance, expired/revoked token…), else `ProviderHttpError`.
 */
import { parseZGResult } from "@0g-compute/core"
import { concatBytes } from "@0g-compute/crypto"
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

export type ProviderRejection =
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
export const errorDetail = (body: string): string => {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown }
    const e = json.error
    if (typeof e === "string") return e
    if (typeof e === "object" && e !== null && typeof (e as { message?: unknown }).message === "string") {
      return (e as { message: string }).message
    }
    if (typeof json.message === "string") return json.message
  } catch {
    // not JSON
  }
  return body.slice(0, 300).trim()
}

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

/** `fetch` with the configured implementation, a timeout, and connection failures as `ProviderUnreachable`. */
export const providerFetch = (
  provider: string,
  url: string,
  init: RequestInit = {},
  timeoutMs?: number,
): Effect.Effect<Response, ProviderUnreachable, never> =>
  Effect.gen(function* () {
    const config = yield* InferenceConfig
    const ms = timeoutMs ?? config.httpTimeoutMs
    return yield* Effect.tryPromise({
      try: (signal) => config.fetch(url, { ...init, signal }),
      catch: (cause) => new ProviderUnreachable({ provider, url, cause }),
    }).pipe(
      Effect.timeoutOrElse({
        duration: ms,
        orElse: () =>
          Effect.fail(new ProviderUnreachable({ provider, url, cause: new Error(`no answer within ${ms} ms`) })),
      }),
    )
  })

const readText = (provider: string, url: string, response: Response) =>
  Effect.tryPromise({
    try: () => response.text(),
    catch: (cause) => new ProviderUnreachable({ provider, url, cause }),
  })

/** GET/POST returning decoded JSON; non-2xx answers become typed rejections. */
export const providerJson = <S extends Schema.Decoder<unknown>>(
  ctx: RejectionContext,
  schema: S,
  what: string,
  init: RequestInit = {},
): Effect.Effect<S["Type"], ProviderUnreachable | ProviderRejection | MalformedProviderResponse> =>
  Effect.gen(function* () {
    const response = yield* providerFetch(ctx.provider, ctx.url, init)
    const text = yield* readText(ctx.provider, ctx.url, response)
    if (!response.ok) return yield* mapRejection(ctx, response.status, text)
    const json = yield* parseProviderJson(text, ctx.provider, what)
    return yield* decodeProviderJson(schema, ctx.provider, what)(json)
  })

/** The whole body, read straight off its stream (the common single chunk is returned as is, not copied). */
export const readAll = async (response: Response): Promise<Uint8Array> => {
  if (response.body === null) return new Uint8Array(0)
  const reader = response.body.getReader()
  const parts: Uint8Array[] = []
  for (;;) {
    const r = await reader.read()
    if (r.done) break
    parts.push(r.value)
  }
  return parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(...parts)
}

/** Reads a response body as text with connection failures typed. */
export const responseText = readText
