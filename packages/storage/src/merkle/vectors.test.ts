import { createHash } from "node:crypto"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { fromHex, toHex } from "../bytes.js"
import { loadVectors, recipeBytes, recipeStream } from "../testing/content.js"
import { fileLayout, foldRight, loadKeccak, merkleOf, SegmentTree, ZeroRoots } from "./index.js"

const file = loadVectors()

const sha256Of = async (recipe: "zeros" | "ones" | "mod251", size: number) => {
  const h = createHash("sha256")
  for await (const piece of recipeStream(recipe, size)) h.update(piece)
  return `0x${h.digest("hex")}`
}

describe("storage-vectors.json", () => {
  it("zeros(h) for every listed height", async () => {
    const zeros = new ZeroRoots(await loadKeccak())
    expect(file.zeroSubtreeRoots.values.length).toBeGreaterThan(20)
    file.zeroSubtreeRoots.values.forEach((v, h) => {
      expect(toHex(zeros.get(h))).toBe(v)
    })
  })

  it("empty input has no root", async () => {
    const exit = await Effect.runPromiseExit(merkleOf(new Uint8Array(0)))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(JSON.stringify(exit)).toContain("EmptyFile")
  })

  // The 256 MiB vector runs through the worker-thread file path (node/file-root.test.ts).
  for (const v of file.vectors.filter((x) => x.sizeBytes < 256 * 1024 * 1024)) {
    it(v.description, async () => {
      expect(await sha256Of(v.contentRecipe, v.sizeBytes)).toBe(v.contentSha256)
      if (v.rootHash === null) {
        const exit = await Effect.runPromiseExit(merkleOf(recipeBytes(v.contentRecipe, 0, v.sizeBytes)))
        expect(Exit.isFailure(exit)).toBe(true)
        return
      }
      const m = await Effect.runPromise(merkleOf(recipeStream(v.contentRecipe, v.sizeBytes)))
      expect(m.root).toBe(v.rootHash)
      expect(m.layout).toMatchObject({
        size: v.sizeBytes,
        numChunks: v.numChunks,
        paddedChunks: v.paddedChunks,
        numSegments: v.numSegments,
        numSegmentsPadded: v.numSegmentsPadded,
      })
      expect(fileLayout(v.sizeBytes).nodeHeights).toEqual(v.submissionNodes?.map((n) => n.height))
      expect(m.nodes).toEqual(v.submissionNodes)
      const keccak = await loadKeccak()
      const roots = m.nodes.map((n) => fromHex(n.root, 32) as Uint8Array)
      expect(toHex(foldRight(keccak, roots))).toBe(v.rootHash)
      expect(m.segmentRoots.length).toBe(v.numSegmentsPadded)
      const tree = new SegmentTree(keccak, m.segmentRoots)
      expect(toHex(tree.root)).toBe(v.rootHash)
      for (const p of v.segmentProofs ?? []) {
        const proof = tree.proof(p.index)
        expect(toHex(m.segmentRoots[p.index] as Uint8Array)).toBe(p.segmentRoot)
        expect(proof.lemma.map(toHex)).toEqual(p.lemma)
        expect(proof.path).toEqual(p.path)
      }
    })
  }
})
