/**
 * `RequestAuth`: ephemeral session tokens (tokenId 255), one per provider, cached and renewed before expiry.
 *
 * Steady state costs nothing: a cached token is returned synchronously, with no chain read and no signature. The
 * account `generation` the token embeds is read once per provider and cached; a revocation reported by the provider
 * (`revokeAllTokens` bumps the generation) invalidates both, and the next request signs a fresh token.
 */
import { Chain, type InvalidAddress, Wallet } from "@0g-compute/core"
import { EPHEMERAL_TOKEN_ID, issueSessionToken, type SignedSessionToken } from "@0g-compute/crypto"
import { Clock, Context, Effect, Layer, Option, Redacted } from "effect"
import { type ReadError, readAccount } from "../chain-reads.js"
import { InferenceConfig } from "../config.js"
import { keyedLocks } from "../locks.js"

export interface SessionCredential {
  /** `Bearer app-sk-…` — a bearer secret; it never leaves the request it is attached to. */
  readonly authorization: Redacted.Redacted<string>
  readonly tokenId: number
  readonly generation: bigint
  /** Unix ms. */
  readonly expiresAt: number
}

export type SessionError =
  | ReadError
  | InvalidAddress
  | import("@0g-compute/crypto").InvalidSessionTokenParams
  | import("@0g-compute/crypto").SigningFailed
  | import("@0g-compute/crypto").SignerMismatch

export interface RequestAuthShape {
  readonly user: string
  /** A valid ephemeral credential for `provider` (cached; signed anew when missing or close to expiry). */
  readonly session: (provider: string) => Effect.Effect<SessionCredential, SessionError>
  /** The cached credential if it is still valid by the wall clock, without any effect: the request path's fast lane. */
  readonly peek: (provider: string) => SessionCredential | undefined
  /** Drops the cached token; with `generation`, also the cached account generation (after a revocation). */
  readonly invalidate: (provider: string, options?: { readonly generation?: boolean }) => Effect.Effect<void>
  /** The account generation tokens are issued against (cached). */
  readonly generation: (provider: string) => Effect.Effect<bigint, ReadError>
}

export class RequestAuth extends Context.Service<RequestAuth, RequestAuthShape>()("zg/inference/RequestAuth") {
  /** Needs `Chain` and `Wallet`. */
  static readonly layer = Layer.effect(
    RequestAuth,
    Effect.gen(function* () {
      return makeRequestAuth(yield* Chain, yield* Wallet)
    }),
  )
}

interface Entry {
  readonly credential: SessionCredential
  readonly renewAt: number
}

export const makeRequestAuth = (chain: Chain["Service"], wallet: Wallet["Service"]): RequestAuthShape => {
  const tokens = new Map<string, Entry>()
  const generations = new Map<string, bigint>()
  const lockOf = keyedLocks()

  const generation = (provider: string): Effect.Effect<bigint, ReadError> =>
    Effect.suspend(() => {
      const key = provider.toLowerCase()
      const hit = generations.get(key)
      if (hit !== undefined) return Effect.succeed(hit)
      return readAccount(chain, wallet.address, provider).pipe(
        Effect.map((a) => (Option.isSome(a) ? a.value.generation : 0n)),
        Effect.tap((g) => Effect.sync(() => generations.set(key, g))),
      )
    })

  const peek = (provider: string): SessionCredential | undefined => {
    const e = tokens.get(provider.toLowerCase())
    return e !== undefined && Date.now() < e.renewAt ? e.credential : undefined
  }

  const fresh = (entry: Entry | undefined, now: number) => entry !== undefined && now < entry.renewAt

  const issue = (provider: string) =>
    Effect.gen(function* () {
      const config = yield* InferenceConfig
      const gen = yield* generation(provider)
      const now = yield* Clock.currentTimeMillis
      const lifetime = Math.min(config.tokenLifetimeMs, 86_400_000)
      const signed: SignedSessionToken = yield* issueSessionToken(wallet.signer, {
        provider,
        tokenId: EPHEMERAL_TOKEN_ID,
        generation: gen,
        durationMs: lifetime,
        timestamp: now,
      })
      const margin = Math.min(config.tokenRenewMarginMs, Math.floor(lifetime / 2))
      const entry: Entry = {
        credential: {
          authorization: Redacted.make(signed.authorization),
          tokenId: EPHEMERAL_TOKEN_ID,
          generation: gen,
          expiresAt: signed.token.expiresAt,
        },
        renewAt: signed.token.expiresAt - margin,
      }
      tokens.set(provider.toLowerCase(), entry)
      return entry.credential
    })

  const session = (provider: string): Effect.Effect<SessionCredential, SessionError> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const key = provider.toLowerCase()
      const hit = tokens.get(key)
      if (hit !== undefined && fresh(hit, now)) return Effect.succeed(hit.credential)
      // Single flight: concurrent requests wait for one signature instead of each signing a token.
      return lockOf(key).withPermit(
        Effect.flatMap(Clock.currentTimeMillis, (later) => {
          const again = tokens.get(key)
          return again !== undefined && fresh(again, later) ? Effect.succeed(again.credential) : issue(provider)
        }),
      )
    })

  const invalidate = (provider: string, options: { readonly generation?: boolean } = {}) =>
    Effect.sync(() => {
      const key = provider.toLowerCase()
      tokens.delete(key)
      if (options.generation === true) generations.delete(key)
    })

  return { user: wallet.address, session, peek, invalidate, generation }
}
