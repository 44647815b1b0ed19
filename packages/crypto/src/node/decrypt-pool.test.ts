import { createCipheriv } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { type ChunkJob, decryptPool } from "./decrypt-pool.js"

const dir = mkdtempSync(join(tmpdir(), "zg-pool-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const key = new Uint8Array(32).fill(7)
const iv = (i: number) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i)
const plain = (i: number) => new Uint8Array(1000).fill(i + 1)

/** Three chunks of 1000 bytes, each its own GCM message, laid out back to back as `ciphertext ‖ tag`. */
const sealedFile = () => {
  const parts: Array<Uint8Array> = []
  const jobs: Array<ChunkJob> = []
  for (let i = 0; i < 3; i++) {
    const c = createCipheriv("aes-256-gcm", key, iv(i))
    const ct = Buffer.concat([c.update(plain(i)), c.final()])
    jobs.push({ index: i, at: i * 1016, length: 1000, iv: iv(i), tag: c.getAuthTag(), plainAt: i * 1000 })
    parts.push(ct, c.getAuthTag())
  }
  return { bytes: Buffer.concat(parts), jobs }
}

const decrypt = (name: string, jobs: ReadonlyArray<ChunkJob>, files: { inPath?: string; outPath?: string } = {}) => {
  const { bytes } = sealedFile()
  const inPath = files.inPath ?? join(dir, `${name}.enc`)
  const outPath = files.outPath ?? join(dir, `${name}.out`)
  writeFileSync(join(dir, `${name}.enc`), bytes)
  if (files.outPath === undefined) writeFileSync(outPath, "")
  const progress: Array<number> = []
  const result = Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(decryptPool(2), (pool) =>
        pool.run({ inPath, outPath, fileLength: bytes.length, key, pieceSize: 256 }, jobs, (i) => progress.push(i)),
      ),
    ).pipe(Effect.result),
  )
  return { result, progress, outPath }
}

describe("decryptPool", () => {
  it("writes every chunk's plaintext at its place and reports chunks in order", async () => {
    const { jobs } = sealedFile()
    const { result, progress, outPath } = decrypt("ok", jobs)
    expect((await result)._tag).toBe("Success")
    expect(new Uint8Array(readFileSync(outPath))).toEqual(Uint8Array.from([...plain(0), ...plain(1), ...plain(2)]))
    expect(progress).toEqual([0, 1, 2])
  })

  it("one pool decrypts one file after another (each run opens and shuts its own files)", async () => {
    const { bytes, jobs } = sealedFile()
    const files = (name: string) => {
      writeFileSync(join(dir, `${name}.enc`), bytes)
      writeFileSync(join(dir, `${name}.out`), "")
      return { inPath: join(dir, `${name}.enc`), outPath: join(dir, `${name}.out`), fileLength: bytes.length, key }
    }
    const a = files("first")
    const b = files("second")
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const pool = yield* decryptPool(2)
          expect(yield* pool.run({ ...a, pieceSize: 300 }, jobs, () => {})).toBeUndefined()
          expect(yield* pool.run({ ...b, pieceSize: 1000 }, jobs, () => {})).toBeUndefined()
        }),
      ),
    )
    const expected = Uint8Array.from([...plain(0), ...plain(1), ...plain(2)])
    expect(new Uint8Array(readFileSync(a.outPath))).toEqual(expected)
    expect(new Uint8Array(readFileSync(b.outPath))).toEqual(expected)
  })

  it("a chunk whose tag does not authenticate → its index, and no progress past it", async () => {
    const { jobs } = sealedFile()
    const bad = jobs.map((j) => (j.index === 1 ? { ...j, tag: new Uint8Array(16) } : j))
    const { result, progress } = decrypt("bad", bad)
    expect(await result).toMatchObject({ _tag: "Success", success: 1 })
    expect(progress).toEqual([0])
  })

  it("a chunk past the end of the file → ModelFileTruncated", async () => {
    const { jobs } = sealedFile()
    const { result } = decrypt("cut", [...jobs, { ...(jobs[2] as ChunkJob), index: 3, at: 3 * 1016, plainAt: 3000 }])
    expect(await result).toMatchObject({ _tag: "Failure", failure: { _tag: "ModelFileTruncated" } })
  })

  it("an output the workers cannot open → ModelFileIoError naming it", async () => {
    const { jobs } = sealedFile()
    const outPath = join(dir, "missing", "x.out")
    const { result } = decrypt("noout", jobs, { outPath })
    expect(await result).toMatchObject({
      _tag: "Failure",
      failure: { _tag: "ModelFileIoError", path: outPath, operation: "open" },
    })
  })
})
