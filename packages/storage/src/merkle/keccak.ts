/**
 * Keccak-256 (Ethereum flavour). Single digests go through one reused hash-wasm hasher; tree work (runs of 256-byte
 * leaves and 64-byte parents) goes through the batch kernel of keccak-kernel.ts, which avoids per-node call overhead.
 */
import { createKeccak, type IHasher } from "hash-wasm"
import { CHUNK_SIZE, HASH_SIZE, SEGMENT_CHUNKS } from "../constants.js"
import { instantiateKernel, KERNEL_IO_BASE, type KernelExports } from "./keccak-kernel.js"

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

const IN = KERNEL_IO_BASE
const OUT = IN + SEGMENT_CHUNKS * CHUNK_SIZE

/** Promote-odd reduction of `n` digests stored at `at` in kernel memory, in place; returns a copy of the root. */
export const reduceInKernel = (k: KernelExports, mem: Uint8Array, at: number, count: number): Uint8Array => {
  let n = count
  while (n > 1) {
    const pairs = n >> 1
    k.pairs(at, pairs, at)
    if (n & 1) mem.copyWithin(at + pairs * HASH_SIZE, at + (n - 1) * HASH_SIZE, at + n * HASH_SIZE)
    n = pairs + (n & 1)
  }
  return mem.slice(at, at + HASH_SIZE)
}

const makeKeccak = (h: IHasher, k: KernelExports): Keccak => {
  const scratch = new Uint8Array(2 * HASH_SIZE)
  const mem = new Uint8Array(k.memory.buffer)
  const zeroLeaf = (() => {
    mem.fill(0, IN, IN + CHUNK_SIZE)
    k.leaves(IN, 1, OUT)
    return mem.slice(OUT, OUT + HASH_SIZE)
  })()
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
    chunkTreeRoot: (data, leafCount) => {
      const leaves = data.length / CHUNK_SIZE
      if (!Number.isInteger(leaves) || leaves > leafCount || leafCount > SEGMENT_CHUNKS || leafCount < 1) {
        throw new RangeError(`bad chunk tree: ${data.length} bytes, ${leafCount} leaves`)
      }
      mem.set(data, IN)
      k.leaves(IN, leaves, OUT)
      for (let i = leaves; i < leafCount; i++) mem.set(zeroLeaf, OUT + i * HASH_SIZE)
      return reduceInKernel(k, mem, OUT, leafCount)
    },
    chunkDigests: (src, count, dst, dstIndex) => {
      for (let done = 0; done < count; ) {
        const n = Math.min(SEGMENT_CHUNKS, count - done)
        mem.set(src.subarray(done * CHUNK_SIZE, (done + n) * CHUNK_SIZE), IN)
        k.leaves(IN, n, OUT)
        dst.set(mem.subarray(OUT, OUT + n * HASH_SIZE), (dstIndex + done) * HASH_SIZE)
        done += n
      }
    },
  }
}

let shared: Promise<Keccak> | undefined

/** The process-wide hasher (WASM compiled once). */
export const loadKeccak = (): Promise<Keccak> => {
  if (!shared) shared = Promise.all([createKeccak(256), instantiateKernel()]).then(([h, k]) => makeKeccak(h, k))
  return shared
}
