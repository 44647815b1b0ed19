/**
 * Keccak-256 (Ethereum flavour), always through hash-wasm: one reused hasher per thread (`init/update/digest`).
 * Tree work writes digests into preallocated buffers and reduces levels in place, so the only per-node cost is the
 * hasher call itself.
 */
import { createKeccak, type IHasher } from "hash-wasm"
import { CHUNK_SIZE, HASH_SIZE, SEGMENT_CHUNKS } from "../constants.js"

export interface Keccak {
  /** keccak256(data). */
  readonly digest: (data: Uint8Array) => Uint8Array
  /** keccak256(left ‖ right) for two 32-byte digests. */
  readonly pair: (left: Uint8Array, right: Uint8Array) => Uint8Array
  /**
   * Root of the promote-odd tree whose leaves are the 256-byte chunks of `data` followed by zero chunks up to
   * `leafCount` leaves (at most one segment, 1024 leaves). `data.length` must be a multiple of 256.
   */
  readonly chunkTreeRoot: (data: Uint8Array, leafCount: number) => Uint8Array
  /** Digests of `count` consecutive 256-byte chunks of `src`, written to `dst` at 32-byte slot `dstIndex`. */
  readonly chunkDigests: (src: Uint8Array, count: number, dst: Uint8Array, dstIndex: number) => void
}

const makeKeccak = (h: IHasher): Keccak => {
  const scratch = new Uint8Array(2 * HASH_SIZE)
  const level = new Uint8Array(SEGMENT_CHUNKS * HASH_SIZE)
  const digest = (data: Uint8Array): Uint8Array => {
    h.init()
    h.update(data)
    return h.digest("binary")
  }
  const zeroLeaf = digest(new Uint8Array(CHUNK_SIZE))
  const chunkDigests = (src: Uint8Array, count: number, dst: Uint8Array, dstIndex: number): void => {
    for (let i = 0, at = dstIndex * HASH_SIZE; i < count; i++, at += HASH_SIZE) {
      h.init()
      h.update(src.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE))
      dst.set(h.digest("binary"), at)
    }
  }
  return {
    digest,
    pair: (left, right) => {
      scratch.set(left, 0)
      scratch.set(right, HASH_SIZE)
      return digest(scratch)
    },
    chunkTreeRoot: (data, leafCount) => {
      const leaves = data.length / CHUNK_SIZE
      if (!Number.isInteger(leaves) || leaves > leafCount || leafCount > SEGMENT_CHUNKS || leafCount < 1) {
        throw new RangeError(`bad chunk tree: ${data.length} bytes, ${leafCount} leaves`)
      }
      chunkDigests(data, leaves, level, 0)
      for (let i = leaves; i < leafCount; i++) level.set(zeroLeaf, i * HASH_SIZE)
      // Promote-odd reduction in place: parent i overwrites slot i (its children sit at 2i, 2i + 1 ≥ i).
      let n = leafCount
      while (n > 1) {
        const pairs = n >> 1
        for (let i = 0; i < pairs; i++) {
          h.init()
          h.update(level.subarray(2 * i * HASH_SIZE, (2 * i + 2) * HASH_SIZE))
          level.set(h.digest("binary"), i * HASH_SIZE)
        }
        if (n & 1) level.copyWithin(pairs * HASH_SIZE, (n - 1) * HASH_SIZE, n * HASH_SIZE)
        n = pairs + (n & 1)
      }
      return level.slice(0, HASH_SIZE)
    },
    chunkDigests,
  }
}

let shared: Promise<Keccak> | undefined

/** The process-wide hasher (WASM compiled once). */
export const loadKeccak = (): Promise<Keccak> => {
  if (!shared) shared = createKeccak(256).then(makeKeccak)
  return shared
}
