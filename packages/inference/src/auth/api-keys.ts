/**
 * `ApiKeys`: persistent API keys (tokenId 0..254) — create, list, revoke one/several, revoke all.
 *
 * Id allocation never collides: an id is free only if its on-chain revocation bit is clear AND no key was issued with
 * it in the current generation (the local `KeyStore` remembers issued ids). Revoking all bumps the generation, which
 * frees every id again and also kills the cached ephemeral session token, so it is dropped too.
 */
import { type ContractRevert, inferenceServing, TxEngine, type TxError, type TxResult } from "@0g-compute/contracts"
import { Chain, type InvalidAddress, parseAddress, Wallet } from "@0g-compute/core"
import { issueSessionToken } from "@0g-compute/crypto"
import { Clock, Context, Effect, Layer, Option, Redacted, Semaphore } from "effect"
import { type ReadError, readAccount } from "../chain-reads.js"
import { ApiKeyIdsExhausted, ApiKeyIdUnavailable, type KeyStoreError, SubAccountMissing } from "../errors.js"
import { type IssuedKey, KeyStore } from "./key-store.js"
import { RequestAuth, type SessionError } from "./session.js"

export interface CreateApiKeyOptions {
  /** A specific id (0..254); default: the lowest free one. */
  readonly tokenId?: number
  /** Lifetime in ms; default: never expires. */
  readonly durationMs?: number
  /** A note kept in the local store (never sent anywhere). */
  readonly label?: string
}

export interface CreatedApiKey {
  readonly provider: string
  readonly tokenId: number
  /** `app-sk-…`: use as the OpenAI `apiKey` with `baseURL = <service url>/v1/proxy`. Shown once; not stored. */
  readonly apiKey: Redacted.Redacted<string>
  readonly generation: bigint
  readonly createdAt: number
  readonly expiresAt: number
}

export type ApiKeyStatus = "active" | "revoked" | "expired"

export interface ApiKeyInfo extends IssuedKey {
  readonly status: ApiKeyStatus
}

export interface ApiKeyList {
  readonly provider: string
  readonly user: string
  /** Current on-chain generation (0 without a sub-account). */
  readonly generation: bigint
  /** Ids whose revocation bit is set in the current generation. */
  readonly revokedIds: ReadonlyArray<number>
  /** Keys issued by this client (from the key store), newest first, with their status now. */
  readonly keys: ReadonlyArray<ApiKeyInfo>
}

type TxFailure = TxError | ContractRevert

export interface ApiKeysShape {
  readonly create: (
    provider: string,
    options?: CreateApiKeyOptions,
  ) => Effect.Effect<
    CreatedApiKey,
    InvalidAddress | ReadError | KeyStoreError | ApiKeyIdsExhausted | ApiKeyIdUnavailable | SessionError
  >
  readonly list: (provider: string) => Effect.Effect<ApiKeyList, InvalidAddress | ReadError | KeyStoreError>
  /** Sets the revocation bits of `tokenIds` on chain (one transaction). */
  readonly revoke: (
    provider: string,
    tokenIds: number | ReadonlyArray<number>,
  ) => Effect.Effect<TxResult, InvalidAddress | ReadError | SubAccountMissing | ApiKeyIdUnavailable | TxFailure>
  /** `revokeAllTokens`: generation + 1, every API key and session token of this account dies. */
  readonly revokeAll: (
    provider: string,
  ) => Effect.Effect<TxResult, InvalidAddress | ReadError | SubAccountMissing | TxFailure>
}

export class ApiKeys extends Context.Service<ApiKeys, ApiKeysShape>()("zg/inference/ApiKeys") {
  /** Needs `Chain`, `Wallet`, `TxEngine`, `KeyStore` and `RequestAuth`. */
  static readonly layer = Layer.effect(
    ApiKeys,
    Effect.gen(function* () {
      return makeApiKeys(yield* Chain, yield* Wallet, yield* TxEngine, yield* KeyStore, yield* RequestAuth)
    }),
  )
}

const bitSet = (bitmap: bigint, id: number) => ((bitmap >> BigInt(id)) & 1n) === 1n
const MAX_ID = 254

export const makeApiKeys = (
  chain: Chain["Service"],
  wallet: Wallet["Service"],
  tx: TxEngine["Service"],
  store: KeyStore["Service"],
  auth: RequestAuth["Service"],
): ApiKeysShape => {
  const user = wallet.address
  const serving = inferenceServing(chain.contracts.inference, chain.provider)
  const allocation = Semaphore.makeUnsafe(1)

  /** Generation and bitmap now (a missing account is generation 0 with nothing revoked). */
  const accountState = (provider: string) =>
    Effect.map(readAccount(chain, user, provider), (a) =>
      Option.isSome(a)
        ? { exists: true, generation: a.value.generation, bitmap: a.value.revokedBitmap }
        : { exists: false, generation: 0n, bitmap: 0n },
    )

  const create = Effect.fn("ApiKeys.create")(function* (provider: string, options: CreateApiKeyOptions = {}) {
    const p = yield* parseAddress(provider)
    return yield* allocation.withPermit(
      Effect.gen(function* () {
        const state = yield* accountState(p)
        const issued = yield* store.load(user, p)
        const gen = state.generation.toString()
        const taken = new Set(issued.filter((k) => k.generation === gen).map((k) => k.tokenId))
        let tokenId = options.tokenId
        if (tokenId !== undefined) {
          if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId > MAX_ID) {
            return yield* new ApiKeyIdUnavailable({ provider: p, tokenId, reason: "out-of-range" })
          }
          if (bitSet(state.bitmap, tokenId))
            return yield* new ApiKeyIdUnavailable({ provider: p, tokenId, reason: "revoked" })
          if (taken.has(tokenId)) return yield* new ApiKeyIdUnavailable({ provider: p, tokenId, reason: "issued" })
        } else {
          for (let id = 0; id <= MAX_ID && tokenId === undefined; id++) {
            if (!taken.has(id) && !bitSet(state.bitmap, id)) tokenId = id
          }
          if (tokenId === undefined) return yield* new ApiKeyIdsExhausted({ provider: p })
        }
        const now = yield* Clock.currentTimeMillis
        const signed = yield* issueSessionToken(wallet.signer, {
          provider: p,
          tokenId,
          generation: state.generation,
          timestamp: now,
          ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
        })
        const record: IssuedKey = {
          tokenId,
          generation: gen,
          createdAt: now,
          expiresAt: signed.token.expiresAt,
          ...(options.label === undefined ? {} : { label: options.label }),
        }
        // Remember the id before handing the key out: a crash after this line wastes an id, never reuses one.
        yield* store.save(user, p, [...issued, record])
        return {
          provider: p,
          tokenId,
          apiKey: Redacted.make(signed.apiKey),
          generation: state.generation,
          createdAt: now,
          expiresAt: signed.token.expiresAt,
        } satisfies CreatedApiKey
      }),
    )
  })

  const list = Effect.fn("ApiKeys.list")(function* (provider: string) {
    const p = yield* parseAddress(provider)
    const state = yield* accountState(p)
    const issued = yield* store.load(user, p)
    const now = yield* Clock.currentTimeMillis
    const gen = state.generation.toString()
    const revokedIds: number[] = []
    for (let id = 0; id <= MAX_ID; id++) if (bitSet(state.bitmap, id)) revokedIds.push(id)
    const keys = [...issued]
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((k): ApiKeyInfo => {
        const status: ApiKeyStatus =
          k.generation !== gen || bitSet(state.bitmap, k.tokenId)
            ? "revoked"
            : k.expiresAt > 0 && now > k.expiresAt
              ? "expired"
              : "active"
        return { ...k, status }
      })
    return { provider: p, user, generation: state.generation, revokedIds, keys } satisfies ApiKeyList
  })

  const requireAccount = (p: string) =>
    Effect.flatMap(accountState(p), (s) =>
      s.exists ? Effect.succeed(s) : Effect.fail(new SubAccountMissing({ user, provider: p })),
    )

  const revoke = Effect.fn("ApiKeys.revoke")(function* (provider: string, tokenIds: number | ReadonlyArray<number>) {
    const p = yield* parseAddress(provider)
    const ids = typeof tokenIds === "number" ? [tokenIds] : [...new Set(tokenIds)]
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id > MAX_ID) {
        return yield* new ApiKeyIdUnavailable({ provider: p, tokenId: id, reason: "out-of-range" })
      }
    }
    yield* requireAccount(p)
    const populated = yield* Effect.promise(() =>
      ids.length === 1
        ? serving.revokeToken.populateTransaction(p, ids[0] ?? 0)
        : serving.revokeTokens.populateTransaction(p, ids),
    )
    return yield* tx.send({ to: chain.contracts.inference, data: populated.data, contract: "InferenceServing" })
  })

  const revokeAll = Effect.fn("ApiKeys.revokeAll")(function* (provider: string) {
    const p = yield* parseAddress(provider)
    yield* requireAccount(p)
    const populated = yield* Effect.promise(() => serving.revokeAllTokens.populateTransaction(p))
    const result = yield* tx.send({ to: chain.contracts.inference, data: populated.data, contract: "InferenceServing" })
    yield* auth.invalidate(p, { generation: true })
    return result
  })

  return { create, list, revoke, revokeAll }
}
