import { Effect } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { toBase64 } from "./bytes.js"
import { SEGMENT_SIZE } from "./constants.js"
import { coversSegment, selectCovering } from "./locate.js"
import { loadKeccak, merkleOf, proofToJson, SegmentTree, segmentWireLength } from "./merkle/index.js"
import { UploadBodyEncoder } from "./upload-body.js"

describe("upload body encoder", () => {
  it("produces exactly the JSON of the equivalent zgs_uploadSegmentsByTxSeq request, reusing its buffer", async () => {
    const keccak = await loadKeccak()
    const enc = new UploadBodyEncoder(3)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 * SEGMENT_SIZE }),
        fc.integer({ min: 0, max: 1e6 }),
        async (size, txSeq) => {
          const data = new Uint8Array(size).map((_, i) => (i * 5 + size) & 255)
          const m = await Effect.runPromise(merkleOf(data))
          const tree = new SegmentTree(keccak, m.segmentRoots)
          const indices = Array.from(
            { length: Math.min(3, m.layout.numSegments) },
            (_, i) => m.layout.numSegments - 1 - i,
          )
          const segs = indices.map((index) => {
            const wire = new Uint8Array(segmentWireLength(m.layout, index))
            wire.set(data.subarray(index * SEGMENT_SIZE, index * SEGMENT_SIZE + wire.length))
            return { index, data: wire, proof: tree.proof(index) }
          })
          const body = new TextDecoder().decode(enc.encode(42, m.root, size, txSeq, segs))
          const expected = {
            jsonrpc: "2.0",
            method: "zgs_uploadSegmentsByTxSeq",
            id: 42,
            params: [
              segs.map((s) => ({
                root: m.root,
                data: toBase64(s.data),
                index: s.index,
                proof: proofToJson(s.proof),
                fileSize: size,
              })),
              txSeq,
            ],
          }
          expect(JSON.parse(body)).toEqual(expected)
        },
      ),
      { numRuns: 15 },
    )
  })
})

describe("node selection", () => {
  it("covers every shard with the fewest-shard nodes first, replicas times", () => {
    const n = (url: string, shardId: number, numShard: number) => ({ url, config: { shardId, numShard } })
    const nodes = [n("a", 0, 2), n("b", 1, 4), n("c", 0, 1), n("d", 3, 4), n("e", 1, 2)]
    expect(selectCovering(nodes)?.map((x) => x.url)).toEqual(["c"])
    expect(selectCovering(nodes, 2)?.map((x) => x.url)).toEqual(["c", "a", "e"])
    expect(selectCovering([n("a", 0, 2), n("b", 1, 4)])).toBeUndefined()
    expect(selectCovering([n("b", 1, 4), n("d", 3, 4), n("a", 0, 2)])?.map((x) => x.url)).toEqual(["a", "b", "d"])
    expect(coversSegment({ shardId: 1, numShard: 4 }, 9)).toBe(true)
    expect(coversSegment({ shardId: 1, numShard: 4 }, 10)).toBe(false)
  })
})
