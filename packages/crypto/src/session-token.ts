/**
 * Session tokens and API keys (inference-protocol.md §3): compact JSON in a fixed key order, signed with
 * personal_sign over keccak256(rawMessage), carried as `Bearer app-sk-<base64(rawMessage|signature)>`.
 */
import { Address, type InvalidAddress, parseAddress } from "@0g-compute/core"
import { Clock, Effect, Result, Schema } from "effect"
import { getBytes, keccak256, randomBytes, type Signer } from "ethers"
import { decodeUtf8, toPlainHex, utf8 } from "./bytes.js"
import {
  InvalidSessionTokenParams,
  MalformedSessionToken,
  type MalformedSignature,
  SessionTokenExpired,
  SessionTokenGenerationAhead,
  SessionTokenRevoked,
  SessionTokenWrongProvider,
  type SignerMismatch,
  type SigningFailed,
} from "./errors.js"
import { expectSigner, personalDigest, recoverSigner, signerAddress, signPersonal } from "./signature.js"

/** tokenId of an ephemeral session token; 0..254 are persistent API keys. */
export const EPHEMERAL_TOKEN_ID = 255
/** Longest lifetime the provider accepts for an ephemeral token (24 h, in ms). */
export const MAX_EPHEMERAL_LIFETIME_MS = 86_400_000
export const API_KEY_PREFIX = "app-sk-"

const NonNegativeInt = Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)))

/** The token JSON. Decoding is strict: exactly these keys, correct types, no `|` anywhere. */
export const SessionTokenSchema = Schema.Struct({
  address: Address,
  provider: Address,
  timestamp: NonNegativeInt,
  expiresAt: NonNegativeInt,
  nonce: Schema.String.pipe(Schema.check(Schema.isPattern(/^[^|]{32}$/))),
  generation: NonNegativeInt,
  tokenId: NonNegativeInt.pipe(Schema.check(Schema.isLessThanOrEqualTo(EPHEMERAL_TOKEN_ID))),
})
export type SessionToken = typeof SessionTokenSchema.Type

export interface SignedSessionToken {
  readonly token: SessionToken
  /** The exact signed UTF-8 text. Parsed tokens keep the received bytes; they are never re-serialised. */
  readonly rawMessage: string
  /** 0x + 130 hex, v ∈ {27, 28}. */
  readonly signature: string
  /** `app-sk-…`: usable as `apiKey` of an OpenAI client. A bearer credential: treat it as a secret. */
  readonly apiKey: string
  /** `Bearer app-sk-…`. */
  readonly authorization: string
}

export interface CreateSessionTokenParams {
  readonly address: string
  readonly provider: string
  /** 255 (default) = ephemeral session token; 0..254 = persistent API key. */
  readonly tokenId?: number
  /** `Account.generation` at creation (0 when there is no sub-account yet). */
  readonly generation?: bigint | number
  /** Lifetime in ms. Ephemeral: 1..86 400 000, default 24 h. API keys: default never (expiresAt 0). */
  readonly durationMs?: number
  /** Creation time in ms; default: the Effect `Clock`. */
  readonly timestamp?: number
  /** 32 characters; default: 16 CSPRNG bytes as hex. */
  readonly nonce?: string
}

const invalid = (field: string, reason: string) => Effect.fail(new InvalidSessionTokenParams({ field, reason }))

/** Builds a token (unsigned). Addresses come out EIP-55. */
export const createSessionToken = (
  params: CreateSessionTokenParams,
): Effect.Effect<SessionToken, InvalidSessionTokenParams | InvalidAddress> =>
  Effect.gen(function* () {
    const address = yield* parseAddress(params.address)
    const provider = yield* parseAddress(params.provider)
    const tokenId = params.tokenId ?? EPHEMERAL_TOKEN_ID
    if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId > EPHEMERAL_TOKEN_ID) {
      return yield* invalid("tokenId", `must be an integer 0..255, got ${tokenId}`)
    }
    const generation = params.generation ?? 0
    if (
      typeof generation === "bigint"
        ? generation < 0n || generation > BigInt(Number.MAX_SAFE_INTEGER)
        : !Number.isSafeInteger(generation) || generation < 0
    ) {
      return yield* invalid("generation", `must be a non-negative safe integer, got ${generation}`)
    }
    const timestamp = params.timestamp ?? (yield* Clock.currentTimeMillis)
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      return yield* invalid("timestamp", "must be a non-negative integer of milliseconds")
    }
    const ephemeral = tokenId === EPHEMERAL_TOKEN_ID
    const duration = params.durationMs ?? (ephemeral ? MAX_EPHEMERAL_LIFETIME_MS : undefined)
    if (duration !== undefined && (!Number.isSafeInteger(duration) || duration <= 0)) {
      return yield* invalid("durationMs", "must be a positive integer of milliseconds")
    }
    if (ephemeral && duration !== undefined && duration > MAX_EPHEMERAL_LIFETIME_MS) {
      return yield* invalid("durationMs", `an ephemeral token lives at most 24 h (${MAX_EPHEMERAL_LIFETIME_MS} ms)`)
    }
    const nonce = params.nonce ?? toPlainHex(randomBytes(16))
    if (!/^[^|]{32}$/.test(nonce)) return yield* invalid("nonce", "must be 32 characters without '|'")
    return {
      address,
      provider,
      timestamp,
      expiresAt: duration === undefined ? 0 : timestamp + duration,
      nonce,
      generation: Number(generation),
      tokenId,
    }
  })

/** The compact JSON in the protocol's key order. */
export const serializeSessionToken = (t: SessionToken): string =>
  JSON.stringify({
    address: t.address,
    provider: t.provider,
    timestamp: t.timestamp,
    expiresAt: t.expiresAt,
    nonce: t.nonce,
    generation: t.generation,
    tokenId: t.tokenId,
  })

/** The EIP-191 digest the signature covers: keccak256("\x19Ethereum Signed Message:\n32" ‖ keccak256(raw)). */
export const sessionTokenDigest = (rawMessage: string): string => personalDigest(keccakBytes(rawMessage))

const keccakBytes = (text: string): Uint8Array => getBytes(keccak256(utf8(text)))

const base64Encode = (bytes: Uint8Array): string => {
  let binary = ""
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

const withEncodings = (token: SessionToken, rawMessage: string, signature: string): SignedSessionToken => {
  const apiKey = API_KEY_PREFIX + base64Encode(utf8(`${rawMessage}|${signature}`))
  return { token, rawMessage, signature, apiKey, authorization: `Bearer ${apiKey}` }
}

/** Signs a token with any ethers Signer, which must be the token's `address`. */
export const signSessionToken = (
  token: SessionToken,
  signer: Signer,
): Effect.Effect<SignedSessionToken, SigningFailed | SignerMismatch> =>
  Effect.gen(function* () {
    const who = yield* signerAddress(signer, "session token")
    yield* Effect.fromResult(expectSigner("session token signer", who, token.address))
    const rawMessage = serializeSessionToken(token)
    const signature = yield* signPersonal(signer, "session token", keccakBytes(rawMessage))
    return withEncodings(token, rawMessage, signature)
  })

/** Creates and signs a token for the signer's own address: what a client sends to a provider. */
export const issueSessionToken = (
  signer: Signer,
  params: Omit<CreateSessionTokenParams, "address">,
): Effect.Effect<SignedSessionToken, InvalidSessionTokenParams | InvalidAddress | SigningFailed | SignerMismatch> =>
  Effect.gen(function* () {
    const address = yield* signerAddress(signer, "session token")
    const token = yield* createSessionToken({ ...params, address })
    return yield* signSessionToken(token, signer)
  })

const malformed = (reason: string) => Result.fail(new MalformedSessionToken({ reason }))
const decodeToken = Schema.decodeUnknownResult(SessionTokenSchema, { onExcessProperty: "error" })

/** Parses `Bearer app-sk-…` or `app-sk-…` the way a provider does, with a strict JSON schema on top. */
export const parseApiKey = (input: string): Result.Result<SignedSessionToken, MalformedSessionToken> => {
  const text = input.trim()
  const key = text.startsWith("Bearer ") ? text.slice("Bearer ".length) : text
  if (!key.startsWith(API_KEY_PREFIX)) return malformed(`expected the "${API_KEY_PREFIX}" prefix`)
  const b64 = key.slice(API_KEY_PREFIX.length)
  if (b64.length === 0 || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
    return malformed("the part after app-sk- is not standard padded base64")
  }
  let decoded: string
  try {
    const binary = atob(b64)
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    decoded = decodeUtf8(bytes)
  } catch {
    return malformed("base64 payload is not UTF-8 text")
  }
  const bar = decoded.indexOf("|")
  if (bar < 0) return malformed("missing '|' between the token JSON and the signature")
  const rawMessage = decoded.slice(0, bar)
  const signature = decoded.slice(bar + 1)
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return malformed("signature is not 0x + 130 hex characters")
  let json: unknown
  try {
    json = JSON.parse(rawMessage)
  } catch {
    return malformed("token is not valid JSON")
  }
  const result = decodeToken(json)
  if (Result.isFailure(result)) return malformed(`token JSON: ${result.failure.message.split("\n").join(" ")}`)
  return Result.succeed(withEncodings(result.success, rawMessage, signature))
}

/** What the provider knows about the sub-account; `undefined` = no account (generation 0, nothing revoked). */
export interface TokenAccountState {
  readonly generation: bigint
  readonly revokedBitmap: bigint
}

export interface VerifySessionTokenOptions {
  /** This provider's address (compared case-insensitively). */
  readonly provider: string
  readonly account?: TokenAccountState | undefined
  /** Current time in ms; default: the Effect `Clock`. */
  readonly now?: number
}

export interface VerifiedSessionToken extends SignedSessionToken {
  /** The authenticated user (EIP-55): the recovered signer, equal to `token.address`. */
  readonly user: string
}

export type SessionTokenVerifyError =
  | MalformedSessionToken
  | SessionTokenWrongProvider
  | InvalidSessionTokenParams
  | SessionTokenExpired
  | SessionTokenRevoked
  | SessionTokenGenerationAhead
  | SignerMismatch
  | MalformedSignature

/** `verifySessionToken` with the time given: a pure check, in the provider's order (§3.4). */
export const checkSessionToken = (
  input: SignedSessionToken | string,
  options: VerifySessionTokenOptions & { readonly now: number },
): Result.Result<VerifiedSessionToken, SessionTokenVerifyError> =>
  Result.gen(function* () {
    const signed = typeof input === "string" ? yield* parseApiKey(input) : input
    const t = signed.token
    const now = options.now
    if (t.provider.toLowerCase() !== options.provider.toLowerCase()) {
      return yield* Result.fail(new SessionTokenWrongProvider({ expected: options.provider, actual: t.provider }))
    }
    if (t.tokenId === EPHEMERAL_TOKEN_ID) {
      const reason =
        t.expiresAt === 0
          ? "an ephemeral token must expire"
          : t.expiresAt - t.timestamp > MAX_EPHEMERAL_LIFETIME_MS
            ? "an ephemeral token lives at most 24 h"
            : undefined
      if (reason !== undefined) return yield* Result.fail(new InvalidSessionTokenParams({ field: "expiresAt", reason }))
    }
    if (t.expiresAt > 0 && now > t.expiresAt) {
      return yield* Result.fail(new SessionTokenExpired({ expiresAt: t.expiresAt, now }))
    }
    const account = options.account ?? { generation: 0n, revokedBitmap: 0n }
    const tokenGeneration = BigInt(t.generation)
    const revoked = (by: "generation" | "bitmap") =>
      Result.fail(
        new SessionTokenRevoked({ tokenId: t.tokenId, by, tokenGeneration, accountGeneration: account.generation }),
      )
    if (tokenGeneration < account.generation) return yield* revoked("generation")
    if (tokenGeneration > account.generation) {
      return yield* Result.fail(
        new SessionTokenGenerationAhead({ tokenGeneration, accountGeneration: account.generation }),
      )
    }
    if (t.tokenId !== EPHEMERAL_TOKEN_ID && ((account.revokedBitmap >> BigInt(t.tokenId)) & 1n) === 1n) {
      return yield* revoked("bitmap")
    }
    const recovered = yield* recoverSigner("session token", sessionTokenDigest(signed.rawMessage), signed.signature)
    const user = yield* expectSigner("session token", recovered, t.address)
    return { ...signed, user }
  })

/** Validates a token in the provider's order (§3.4): provider, ephemeral lifetime, expiry, revocation, signature. */
export const verifySessionToken = (
  input: SignedSessionToken | string,
  options: VerifySessionTokenOptions,
): Effect.Effect<VerifiedSessionToken, SessionTokenVerifyError> =>
  Effect.flatMap(options.now === undefined ? Clock.currentTimeMillis : Effect.succeed(options.now), (now) =>
    Effect.fromResult(checkSessionToken(input, { ...options, now })),
  )
