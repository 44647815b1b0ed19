// Deterministic bytes (xorshift32), so shrinking replays the same content.
import { pseudoRandomBytes } from "@0g-compute/core/testing"
import { MemData as MemDataNew } from "@0gfoundation/0g-ts-sdk"
import { MemData as MemDataOld } from "@0glabs/0g-ts-sdk"
import { Effect } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { CHUNK_SIZE, SEGMENT_SIZE } from "../constants.js"
import { merkleOf } from "./index.js"

const boundaries = [
  CHUNK_SIZE,
  16 * CHUNK_SIZE,
  17 * CHUNK_SIZE,
  SEGMENT_SIZE,
  2 * SEGMENT_SIZE,
  3 * SEGMENT_SIZE,
  4 * SEGMENT_SIZE,
]
const sizeArb = fc.oneof(
  fc.integer({ min: 1, max: 5 * SEGMENT_SIZE }),
  fc.integer({ min: 1, max: 4 * CHUNK_SIZE }),
  fc.tuple(fc.constantFrom(...boundaries), fc.constantFrom(-1, 0, 1)).map(([b, d]) => b + d),
)

const sdkRoot = async (tree: Promise<[{ rootHash(): string | null } | null, Error | null]>) => {
  const [t, err] = await tree
  if (err || !t) throw err ?? new Error("no tree")
  return t.rootHash()
}

describe("root parity with the npm SDKs", () => {
  it("equals @0gfoundation/0g-ts-sdk 1.2.8 and @0glabs/0g-ts-sdk 0.3.3 (root and submission nodes)", async () => {
    await fc.assert(
      fc.asyncProperty(sizeArb, fc.integer(), async (size, seed) => {
        const data = pseudoRandomBytes(size, seed)
        const ours = await Effect.runPromise(merkleOf(data))
        expect(ours.root).toBe(await sdkRoot(new MemDataNew(data).merkleTree()))
        expect(ours.root).toBe(await sdkRoot(new MemDataOld(data).merkleTree()))
        const [submission, err] = await new MemDataNew(data).createSubmission("0x")
        expect(err).toBeNull()
        expect(ours.nodes.map((n) => ({ height: n.height, root: n.root }))).toEqual(
          submission?.data.nodes.map((n) => ({ height: Number(n.height), root: String(n.root) })),
        )
      }),
      { numRuns: 40 },
    )
  })

  it("feeds in arbitrary piece sizes without changing the root", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 * SEGMENT_SIZE }),
        fc.array(fc.integer({ min: 1, max: SEGMENT_SIZE + 7 }), { minLength: 1, maxLength: 8 }),
        async (size, cuts) => {
          const data = pseudoRandomBytes(size, size)
          async function* pieces() {
            let off = 0
            let i = 0
            while (off < data.length) {
              const n = cuts[i++ % cuts.length] as number
              yield data.slice(off, off + n)
              off += n
            }
          }
          const whole = await Effect.runPromise(merkleOf(data))
          const split = await Effect.runPromise(merkleOf(pieces()))
          expect(split.root).toBe(whole.root)
          expect(split.nodes).toEqual(whole.nodes)
        },
      ),
      { numRuns: 25 },
    )
  })
})
