/**
 * Keccak-256 (Ethereum flavour) over hash-wasm with one reused hasher: per-call overhead dominates for the 64- and
 * 256-byte inputs of a merkle tree, so every digest goes through the same WASM instance.
 */
import { createKeccak, type IHasher } from "hash-wasm"
import { HASH_SIZE } from "../constants.js"

export interface Keccak {
  /** keccak256(data). */
  readonly digest: (data: Uint8Array) => Uint8Array
  /** keccak256(left ‖ right) for two 32-byte digests. */
  readonly pair: (left: Uint8Array, right: Uint8Array) => Uint8Array
  /**
   * Hashes `count` consecutive `width`-byte items of `src` into consecutive 32-byte digests of `dst` (at digest
   * offset `dstIndex`). `dst` may be `src` when reducing a tree level in place (item i is read before digest i is
   * written and digest i never lies after item i).
   */
  readonly digestMany: (src: Uint8Array, width: number, count: number, dst: Uint8Array, dstIndex: number) => void
}

const makeKeccak = (h: IHasher): Keccak => {
  const scratch = new Uint8Array(2 * HASH_SIZE)
  const digest = (data: Uint8Array): Uint8Array => {
    h.init()
    h.update(data)
    return h.digest("binary")
  }
  return {
    digest,
    pair: (left, right) => {
      scratch.set(left, 0)
      scratch.set(right, HASH_SIZE)
      return digest(scratch)
    },
    digestMany: (src, width, count, dst, dstIndex) => {
      for (let i = 0; i < count; i++) {
        h.init()
        h.update(src.subarray(i * width, i * width + width))
        dst.set(h.digest("binary"), (dstIndex + i) * HASH_SIZE)
      }
    },
  }
}

let shared: Promise<Keccak> | undefined

/** The process-wide hasher (WASM compiled once). */
export const loadKeccak = (): Promise<Keccak> => {
  if (!shared) shared = createKeccak(256).then(makeKeccak)
  return shared
}

