import { Effect } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { fromHex } from "../bytes.js"
import { CHUNK_SIZE, SEGMENT_SIZE } from "../constants.js"
import { recipeBytes } from "../testing/content.js"
import {
  checkProof,
  checkSegment,
  loadKeccak,
  merkleOf,
  proofFromJson,
  proofToJson,
  SegmentTree,
  segmentWireLength,
} from "./index.js"

const segmentData = (data: Uint8Array, index: number, wire: number): Uint8Array => {
  const out = new Uint8Array(wire)
  out.set(data.subarray(index * SEGMENT_SIZE, Math.min(data.length, index * SEGMENT_SIZE + wire)))
  return out
}

describe("segment proofs", () => {
  it("every data segment of random-size files verifies, and tampering is caught", async () => {
    const keccak = await loadKeccak()
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9 * SEGMENT_SIZE + 3 * CHUNK_SIZE }), async (size) => {
        const data = recipeBytes("mod251", 7, size)
        const m = await Effect.runPromise(merkleOf(data))
        const tree = new SegmentTree(keccak, m.segmentRoots)
        const root = fromHex(m.root, 32) as Uint8Array
        for (let i = 0; i < m.layout.numSegments; i++) {
          const seg = segmentData(data, i, segmentWireLength(m.layout, i))
          const proof = tree.proof(i)
          expect(checkSegment(keccak, m.layout, { index: i, data: seg, proof, root })).toBeUndefined()
          const bad = seg.slice()
          bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1
          expect(checkSegment(keccak, m.layout, { index: i, data: bad, proof, root })).toBeDefined()
          if (m.layout.numSegments > 1) {
            const other = (i + 1) % m.layout.numSegments
            expect(checkSegment(keccak, m.layout, { index: other, data: seg, proof, root })).toBeDefined()
          }
        }
        const last = m.layout.numSegments - 1
        const short = segmentData(data, last, segmentWireLength(m.layout, last) - CHUNK_SIZE)
        expect(checkSegment(keccak, m.layout, { index: last, data: short, proof: tree.proof(last), root })).toBe(
          "invalid data length",
        )
      }),
      { numRuns: 12 },
    )
  })

  it("rejects proofs with a wrong shape, position or sibling", async () => {
    const keccak = await loadKeccak()
    const leaves = Array.from({ length: 5 }, (_, i) => keccak.digest(new Uint8Array([i])))
    const tree = new SegmentTree(keccak, leaves)
    const expectFor = (index: number) => ({ leaf: leaves[index] as Uint8Array, root: tree.root, index, leafCount: 5 })
    for (let i = 0; i < 5; i++) expect(checkProof(keccak, tree.proof(i), expectFor(i))).toBeUndefined()
    expect(tree.proof(4).path).toEqual([false])
    expect(tree.proof(0).path).toEqual([true, true, true])
    const p0 = tree.proof(0)
    expect(checkProof(keccak, { lemma: p0.lemma.slice(1), path: p0.path }, expectFor(0))).toBe("invalid proof format")
    expect(checkProof(keccak, { lemma: p0.lemma, path: [true, false, true] }, expectFor(0))).toBe(
      "proof position mismatch",
    )
    const swapped = [...p0.lemma]
    swapped[1] = leaves[2] as Uint8Array
    expect(checkProof(keccak, { lemma: swapped, path: p0.path }, expectFor(0))).toBe("proof does not hash to the root")
    expect(checkProof(keccak, p0, { ...expectFor(0), leafCount: 4 })).toBe("proof is longer than the tree")
    const json = proofToJson(p0)
    expect(json.lemma.every((h) => /^0x[0-9a-f]{64}$/.test(h))).toBe(true)
    expect(checkProof(keccak, proofFromJson(json) as never, expectFor(0))).toBeUndefined()
    expect(proofFromJson({ lemma: ["0x12"], path: [] })).toBeUndefined()
  })

  it("a single-leaf tree has lemma [root] and an empty path", async () => {
    const keccak = await loadKeccak()
    const leaf = keccak.digest(new Uint8Array([1]))
    const p = new SegmentTree(keccak, [leaf]).proof(0)
    expect(p.path).toEqual([])
    expect(p.lemma.length).toBe(1)
    expect(checkProof(keccak, p, { leaf, root: leaf, index: 0, leafCount: 1 })).toBeUndefined()
  })
})
