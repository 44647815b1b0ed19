import { createHash } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { open } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { SEGMENT_SIZE } from "../constants.js"
import { merkleOf } from "../merkle/index.js"
import { loadVectors, recipeBytes } from "../testing/content.js"
import { HashPool, merkleOfFile } from "./index.js"

const dir = mkdtempSync(join(tmpdir(), "zg-root-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const writeRecipe = async (path: string, size: number) => {
  const fh = await open(path, "w")
  const sha = createHash("sha256")
  for (let o = 0; o < size; o += 4 * 1024 * 1024) {
    const piece = recipeBytes("mod251", o, Math.min(4 * 1024 * 1024, size - o))
    sha.update(piece)
    await fh.write(piece)
  }
  await fh.close()
  return `0x${sha.digest("hex")}`
}

describe("merkleOfFile (worker threads)", () => {
  it("matches the 256 MiB vector, with monotonic progress ending at the size", async () => {
    const v = loadVectors().vectors.find((x) => x.sizeBytes === 256 * 1024 * 1024)
    if (!v) throw new Error("vector missing")
    const path = join(dir, "256.bin")
    expect(await writeRecipe(path, v.sizeBytes)).toBe(v.contentSha256)
    const seen: number[] = []
    const m = await Effect.runPromise(merkleOfFile(path, { onProgress: (p) => seen.push(p.bytes) }))
    expect(m.root).toBe(v.rootHash)
    expect(m.nodes).toEqual(v.submissionNodes)
    expect(seen.at(-1)).toBe(v.sizeBytes)
    expect(seen.every((b, i) => i === 0 || b >= (seen[i - 1] as number))).toBe(true)
    rmSync(path)
  })

  it("equals the in-memory root for sizes around the worker threshold, with a shared pool", async () => {
    const pool = new HashPool(2)
    try {
      for (const size of [SEGMENT_SIZE * 8 - 1, SEGMENT_SIZE * 8, SEGMENT_SIZE * 8 + 1, SEGMENT_SIZE * 37 + 4097]) {
        const data = recipeBytes("mod251", 3, size)
        const path = join(dir, `f${size}.bin`)
        writeFileSync(path, data)
        const fromFile = await Effect.runPromise(merkleOfFile(path, { pool }))
        const fromMemory = await Effect.runPromise(merkleOf(data))
        expect(fromFile.root).toBe(fromMemory.root)
        expect(fromFile.nodes).toEqual(fromMemory.nodes)
        expect(fromFile.segmentRoots).toEqual(fromMemory.segmentRoots)
      }
    } finally {
      await pool.close()
    }
  })

  it("fails with typed errors for empty, missing and aborted files", async () => {
    const empty = join(dir, "empty.bin")
    writeFileSync(empty, new Uint8Array(0))
    const e1 = await Effect.runPromiseExit(merkleOfFile(empty))
    expect(Exit.isFailure(e1) && JSON.stringify(e1.cause)).toContain("EmptyFile")
    const e2 = await Effect.runPromiseExit(merkleOfFile(join(dir, "missing.bin")))
    expect(Exit.isFailure(e2) && JSON.stringify(e2.cause)).toContain("SourceReadError")
    const big = join(dir, "big.bin")
    writeFileSync(big, new Uint8Array(SEGMENT_SIZE * 64))
    const ac = new AbortController()
    ac.abort()
    const e3 = await Effect.runPromiseExit(merkleOfFile(big, { signal: ac.signal }))
    expect(Exit.isFailure(e3) && JSON.stringify(e3.cause)).toContain("StorageAborted")
  })
})
