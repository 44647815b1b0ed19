/**
 * `KeyStore`: where the ids of issued persistent API keys are remembered per (user, provider), so an id is never
 * handed out twice within a generation (the official SDK's collision bug). Only metadata is stored — never the key.
 * `KeyStore.layer` (in memory) lives as long as the process; `@0g-compute/inference/node` has a JSON-file store for CLIs.
 */
import { Context, Effect, Layer } from "effect"
import type { KeyStoreError } from "../errors.js"

export interface IssuedKey {
  readonly tokenId: number
  /** Account generation the key was issued against (decimal string: JSON-safe). */
  readonly generation: string
  /** Unix ms. */
  readonly createdAt: number
  /** Unix ms; 0 = never expires. */
  readonly expiresAt: number
  readonly label?: string
}

export interface KeyStoreShape {
  readonly load: (user: string, provider: string) => Effect.Effect<ReadonlyArray<IssuedKey>, KeyStoreError>
  readonly save: (user: string, provider: string, keys: ReadonlyArray<IssuedKey>) => Effect.Effect<void, KeyStoreError>
}

export const keyStoreKey = (user: string, provider: string) => `${user.toLowerCase()}:${provider.toLowerCase()}`

export const makeMemoryKeyStore = (): KeyStoreShape => {
  const map = new Map<string, ReadonlyArray<IssuedKey>>()
  return {
    load: (user, provider) => Effect.sync(() => map.get(keyStoreKey(user, provider)) ?? []),
    save: (user, provider, keys) =>
      Effect.sync(() => {
        map.set(keyStoreKey(user, provider), [...keys])
      }),
  }
}

export class KeyStore extends Context.Service<KeyStore, KeyStoreShape>()("zg/inference/KeyStore") {
  /** A fresh in-memory store (the default). */
  static readonly layer = Layer.sync(KeyStore, makeMemoryKeyStore)
}
