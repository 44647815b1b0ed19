/**
 * Session-token validation in the broker's order (inference-protocol.md §3.4) and admission of a billed request
 * (§5 step 8). Steps 1–4 need no chain; the caller then reads the sub-account (no cache) for steps 5–6.
 * Token failures are 401 `validate session: …`; admission failures are 400 `validate request: …`.
 */
import { formatZG } from "@0g-compute/core"
import { HttpFailure } from "@0g-compute/core/node"
import {
  checkSessionToken,
  EPHEMERAL_TOKEN_ID,
  MAX_EPHEMERAL_LIFETIME_MS,
  parseApiKey,
  type SessionTokenVerifyError,
  type SignedSessionToken,
} from "@0g-compute/crypto"
import { Result } from "effect"
import type { Account, Service } from "./chain.js"

/** The provider's admission reserve, `MinimumLockedBalance` (§5, §12): 1 0G. */
export const MINIMUM_LOCKED_BALANCE = 10n ** 18n

const BEARER = "Bearer app-sk-"

const session = (message: string) => new HttpFailure(401, `validate session: ${message}`)
const request = (message: string) => new HttpFailure(400, `validate request: ${message}`)

const describe = (e: SessionTokenVerifyError): string => {
  switch (e._tag) {
    case "MalformedSessionToken":
      return `malformed session token: ${e.reason}`
    case "SessionTokenWrongProvider":
      return `session token is for provider ${e.actual}, not ${e.expected}`
    case "InvalidSessionTokenParams":
      return `invalid session token: ${e.field}: ${e.reason}`
    case "SessionTokenExpired":
      return "session token expired"
    case "SessionTokenRevoked":
      return e.by === "generation"
        ? `session token revoked: generation ${e.tokenGeneration} < account generation ${e.accountGeneration}`
        : `session token revoked: API key ${e.tokenId} is revoked on chain`
    case "SessionTokenGenerationAhead":
      return `invalid session token: generation ${e.tokenGeneration} > account generation ${e.accountGeneration}`
    case "SignerMismatch":
    case "MalformedSignature":
      return "invalid session token signature"
  }
}

const NUMERIC_FIELDS = ["timestamp", "expiresAt", "generation", "tokenId"] as const
const isUint = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0

/**
 * The 2026 broker's reading of the token JSON (a Go struct): unknown keys ignored, any nonce string. Only when the
 * strict parse failed on the JSON itself; the signature still covers the exact received text.
 */
const lenientToken = (header: string): SignedSessionToken | undefined => {
  const key = header.slice("Bearer ".length)
  let decoded: string
  try {
    decoded = Buffer.from(key.slice("app-sk-".length), "base64").toString("utf8")
  } catch {
    return undefined
  }
  const bar = decoded.indexOf("|")
  const rawMessage = decoded.slice(0, bar)
  const signature = decoded.slice(bar + 1)
  if (bar < 0 || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return undefined
  let json: Record<string, unknown>
  try {
    json = JSON.parse(rawMessage)
  } catch {
    return undefined
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined
  const { address, provider, nonce } = json
  if (typeof address !== "string" || typeof provider !== "string" || typeof nonce !== "string") return undefined
  if (!NUMERIC_FIELDS.every((f) => isUint(json[f])) || (json.tokenId as number) > EPHEMERAL_TOKEN_ID) return undefined
  const token = {
    address,
    provider,
    nonce,
    timestamp: json.timestamp as number,
    expiresAt: json.expiresAt as number,
    generation: json.generation as number,
    tokenId: json.tokenId as number,
  }
  return { token, rawMessage, signature, apiKey: key, authorization: header }
}

/**
 * Steps 1–4: prefix, base64, first `|`, JSON; provider match; ephemeral 24 h rule; expiry in ms. `lenient`: the 2026
 * broker's token JSON reading (extra keys, any nonce).
 */
export const parseSession = (
  header: string | undefined,
  provider: string,
  now: number,
  lenient = false,
): SignedSessionToken => {
  if (header === undefined || !header.startsWith(BEARER)) {
    throw session("missing Authorization header with a Bearer app-sk- session token")
  }
  const parsed = parseApiKey(header)
  const loose = Result.isFailure(parsed) && lenient ? lenientToken(header.trim()) : undefined
  if (Result.isFailure(parsed) && loose === undefined) throw session(describe(parsed.failure))
  const signed = loose ?? (parsed as Result.Success<SignedSessionToken, never>).success
  const t = signed.token
  if (t.provider.toLowerCase() !== provider.toLowerCase()) {
    throw session(`session token is for provider ${t.provider}, not ${provider}`)
  }
  if (t.tokenId === EPHEMERAL_TOKEN_ID) {
    if (t.expiresAt === 0) throw session("invalid session token: an ephemeral token must expire")
    if (t.expiresAt - t.timestamp > MAX_EPHEMERAL_LIFETIME_MS) {
      throw session("invalid session token: an ephemeral token lives at most 24 h")
    }
  }
  if (t.expiresAt > 0 && now > t.expiresAt) throw session("session token expired")
  return signed
}

/**
 * Tokens that passed steps 5–6, by everything the verdict depends on except the clock: provider, the account's
 * generation and revocation bitmap as read for this request, and the exact signed text and signature. A client reuses
 * one token for many requests, and recovering its signer (ECDSA) on each was most of the emulator's CPU per chat. The
 * verdict is a pure function of the key, so a hit answers as a full verification would; expiry is re-checked on every
 * hit, and a revocation changes the account state and with it the key.
 */
const verified = new Map<string, string>()
const VERIFIED_MAX = 1024

/** Steps 5–6 against the freshly read sub-account (missing = generation 0): revocation, then ECDSA. Returns the user. */
export const verifySession = (
  signed: SignedSessionToken,
  provider: string,
  account: Account | undefined,
  now: number,
): string => {
  const state =
    account === undefined ? undefined : { generation: account.generation, revokedBitmap: account.revokedBitmap }
  const key = `${provider.toLowerCase()}|${state?.generation ?? 0n}|${state?.revokedBitmap ?? 0n}|${signed.signature}|${signed.rawMessage}`
  const expires = signed.token.expiresAt
  const hit = verified.get(key)
  if (hit !== undefined && !(expires > 0 && now > expires)) return hit
  const result = checkSessionToken(signed, { provider, account: state, now })
  if (Result.isFailure(result)) throw session(describe(result.failure))
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string) // the oldest
  verified.set(key, result.success.user)
  return result.success.user
}

/**
 * Admission (§5 step 8): the sub-account exists and is acknowledged, the owner acknowledged the service's TEE
 * signer, and `balance − pendingRefund ≥ unsettled + 1 0G` (the expected input fee is 0, as in the newest brokers).
 */
export const admit = (
  user: string,
  account: Account | undefined,
  service: Service | undefined,
  unsettled: bigint,
): void => {
  if (service === undefined) throw new HttpFailure(503, "service not registered")
  if (account === undefined) {
    throw request(
      `account not exist: ${user} has no sub-account with provider ${service.provider}; transfer funds to it first`,
    )
  }
  if (!account.acknowledged)
    throw request(`user not acknowledge the provider: ${user} must acknowledge ${service.provider}`)
  if (!service.teeSignerAcknowledged) {
    throw request(
      `the TEE signer ${service.teeSignerAddress} of provider ${service.provider} is not acknowledged by the contract owner`,
    )
  }
  const locked = account.balance - account.pendingRefund
  const required = unsettled + MINIMUM_LOCKED_BALANCE
  if (locked < required) {
    throw request(
      `insufficient balance: your locked balance is ${formatZG(locked)} 0G, but the required minimum is ${formatZG(required)} 0G ` +
        `(breakdown: unsettled fees ${formatZG(unsettled)} 0G + reserve ${formatZG(MINIMUM_LOCKED_BALANCE)} 0G)`,
    )
  }
}
