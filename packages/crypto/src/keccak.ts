/**
 * Incremental keccak256 over chunks (model files are ~1 GB: never hash them as one buffer).
 * `@noble/hashes` keccak_256.create() does the work; this adds a small stateful API and Stream/iterable drivers.
 */
import { keccak_256 } from "@noble/hashes/sha3.js"
import { Effect, Stream } from "effect"
import { toHex } from "./bytes.js"

export interface Keccak256Hasher {
  /** Feeds the next chunk. The chunk may be reused by the caller afterwards. */
  readonly update: (chunk: Uint8Array) => Keccak256Hasher
  /** The 0x-hex digest of everything fed so far. The hasher cannot be updated afterwards. */
  readonly digest: () => string
  /** The raw 32-byte digest; same finalisation rule as `digest`. */
  readonly digestBytes: () => Uint8Array
  /** Total bytes fed. */
  readonly bytesHashed: () => number
}

export const keccak256Hasher = (): Keccak256Hasher => {
  const state = keccak_256.create()
  let total = 0
  const self: Keccak256Hasher = {
    update: (chunk) => {
      state.update(chunk)
      total += chunk.length
      return self
    },
    digestBytes: () => state.digest(),
    digest: () => toHex(state.digest()),
    bytesHashed: () => total,
  }
  return self
}

/** keccak256 of the concatenation of `chunks`. */
export const keccak256Chunks = (chunks: Iterable<Uint8Array>): string => {
  const h = keccak256Hasher()
  for (const c of chunks) h.update(c)
  return h.digest()
}

/** keccak256 of everything a byte Stream emits; fails with the stream's error. */
export const keccak256Stream = <E, R>(stream: Stream.Stream<Uint8Array, E, R>): Effect.Effect<string, E, R> =>
  Stream.runFold(stream, keccak256Hasher, (h, chunk) => h.update(chunk)).pipe(Effect.map((h) => h.digest()))
