import { keccak_256 } from "@noble/hashes/sha3.js"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { toHex } from "../bytes.js"
import { loadKeccak } from "./keccak.js"

/** Promote-odd root over leaf digests, straight from @noble/hashes. */
const nobleTreeRoot = (leaves: Uint8Array[]): Uint8Array => {
  let level = leaves
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i + 1 < level.length; i += 2) {
      const ab = new Uint8Array(64)
      ab.set(level[i] as Uint8Array)
      ab.set(level[i + 1] as Uint8Array, 32)
      next.push(keccak_256(ab))
    }
    if (level.length & 1) next.push(level[level.length - 1] as Uint8Array)
    level = next
  }
  return level[0] as Uint8Array
}

describe("keccak (hash-wasm)", () => {
  it("single digests and pairs match @noble/hashes", async () => {
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

  it("chunkDigests and chunkTreeRoot match @noble/hashes", async () => {
    const keccak = await loadKeccak()
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer(),
        async (n, extra, seed) => {
          const src = new Uint8Array(n * 256).map((_, i) => (i * 31 + seed) & 0xff)
          const leaves = Array.from({ length: n }, (_, i) => keccak_256(src.subarray(256 * i, 256 * i + 256)))
          const dst = new Uint8Array((n + 2) * 32)
          keccak.chunkDigests(src, n, dst, 2)
          for (let i = 0; i < n; i++)
            expect(toHex(dst.slice(32 * (i + 2), 32 * (i + 3)))).toBe(toHex(leaves[i] as Uint8Array))
          const zero = keccak_256(new Uint8Array(256))
          const all = [...leaves, ...Array.from({ length: extra }, () => zero)]
          expect(toHex(keccak.chunkTreeRoot(src, n + extra))).toBe(toHex(nobleTreeRoot(all)))
        },
      ),
      { numRuns: 30 },
    )
  })
})
