import { keccak_256 } from "@noble/hashes/sha3.js"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { toHex } from "../bytes.js"
import { loadKeccak } from "./keccak.js"
import { instantiateKernel, KERNEL_IO_BASE } from "./keccak-kernel.js"

describe("batch keccak kernel", () => {
  it("hashes 256-byte leaves and 64-byte pairs exactly like @noble/hashes keccak_256", async () => {
    const k = await instantiateKernel()
    const mem = () => new Uint8Array(k.memory.buffer)
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer(), async (n, seed) => {
        const src = new Uint8Array(n * 256).map((_, i) => (i * 31 + seed) & 0xff)
        const base = KERNEL_IO_BASE + 4096
        mem().set(src, base)
        k.leaves(base, n, KERNEL_IO_BASE)
        for (let i = 0; i < n; i++) {
          expect(toHex(mem().slice(KERNEL_IO_BASE + 32 * i, KERNEL_IO_BASE + 32 * i + 32))).toBe(
            toHex(keccak_256(src.subarray(256 * i, 256 * i + 256))),
          )
        }
        const pairs = Math.floor(n / 2)
        const level = mem().slice(KERNEL_IO_BASE, KERNEL_IO_BASE + 64 * pairs)
        k.pairs(KERNEL_IO_BASE, pairs, KERNEL_IO_BASE) // in place
        for (let i = 0; i < pairs; i++) {
          expect(toHex(mem().slice(KERNEL_IO_BASE + 32 * i, KERNEL_IO_BASE + 32 * i + 32))).toBe(
            toHex(keccak_256(level.subarray(64 * i, 64 * i + 64))),
          )
        }
      }),
      { numRuns: 30 },
    )
  })

  it("the shared hasher's single digests match @noble/hashes", async () => {
    const keccak = await loadKeccak()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        expect(toHex(keccak.digest(data))).toBe(toHex(keccak_256(data)))
      }),
    )
    const a = keccak_256(new Uint8Array([1]))
    const b = keccak_256(new Uint8Array([2]))
    const ab = new Uint8Array(64)
    ab.set(a)
    ab.set(b, 32)
    expect(toHex(keccak.pair(a, b))).toBe(toHex(keccak_256(ab)))
  })
})
