import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import { afterAll, describe, expect, it } from "vitest"
import { encryptModel } from "../model-file.js"
import type { ModelProgress } from "../model-format.js"
import { account, fail, hex, recipe, run, toHexString, vectors } from "../testing/vectors.js"
import { decryptModelFile, encryptModelFile, keccak256File } from "./index.js"

const mf = vectors.encryptedModelFile
const key = Redacted.make(hex(mf.aesKey))
const teeKey = Redacted.make(account(1).privateKey)
const iv0 = hex(mf.iv0)
const tee = account(1).address
const sha256 = (b: Uint8Array) => `0x${createHash("sha256").update(b).digest("hex")}`

const root = mkdtempSync(join(tmpdir(), "zg-crypto-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let dirs = 0
/** A fresh directory per test, so "nothing left behind" can be checked by listing it. */
const freshDir = () => {
  const d = join(root, `t${dirs++}`)
  rmSync(d, { recursive: true, force: true })
  mkdirSync(d)
  return d
}

/** Decrypts `dir`/model.enc into `dir`/model.zip with the vectors' key and TEE signer; `options` add or override. */
const decryptIn = (dir: string, options: Partial<Parameters<typeof decryptModelFile>[2]> = {}) =>
  decryptModelFile(join(dir, "model.enc"), join(dir, "model.zip"), { key, expectedSigner: tee, ...options })

/** `file` as model.enc in a fresh directory, decrypted into model.zip; the progress reported, in order. */
const decryptFresh = async (file: Uint8Array, options: Partial<Parameters<typeof decryptModelFile>[2]> = {}) => {
  const dir = freshDir()
  writeFileSync(join(dir, "model.enc"), file)
  const progress: Array<ModelProgress> = []
  const res = await run(decryptIn(dir, { ...options, onProgress: (p) => progress.push(p) }))
  return { dir, res, progress }
}

describe("streaming decryption of the vectors", () => {
  it("small vector file → plaintext, with progress, nothing else left in the directory", async () => {
    const { dir, res, progress } = await decryptFresh(hex(mf.small.file))
    expect(res).toMatchObject({ signer: tee, chunkCount: 1, plainLength: 100, tagsDigest: mf.small.keccak256Tags })
    expect(new Uint8Array(readFileSync(join(dir, "model.zip")))).toEqual(recipe(100))
    expect(progress).toEqual([{ chunkIndex: 0, chunkCount: 1, bytesDone: 100, bytesTotal: 100 }])
    expect(readdirSync(dir).sort()).toEqual(["model.enc", "model.zip"])
    expect(await run(keccak256File(join(dir, "model.enc"), { bufferSize: 7 }))).toBe(mf.small.keccak256File)
  })

  it("two-chunk vector: encryptModelFile reproduces it, decryptModelFile restores the plaintext", async () => {
    const v = mf.twoChunks
    const dir = freshDir()
    const plain = recipe(v.plaintextLength)
    writeFileSync(join(dir, "model.zip"), plain)
    const enc = await run(encryptModelFile(join(dir, "model.zip"), join(dir, "model.enc"), { key, teeKey, iv0 }))
    expect(enc).toEqual({ fileLength: v.fileLength, chunkCount: 2 })
    const file = new Uint8Array(readFileSync(join(dir, "model.enc")))
    expect(toHexString(file.subarray(0, 77))).toBe(v.first77Bytes)
    expect(toHexString(file.subarray(-116))).toBe(v.last116Bytes)
    expect(sha256(file)).toBe(v.sha256File)
    const progress: Array<number> = []
    const res = await run(
      decryptModelFile(join(dir, "model.enc"), join(dir, "out.zip"), {
        key,
        expectedSigner: tee,
        onProgress: (p) => progress.push(p.bytesDone),
      }),
    )
    expect(res).toMatchObject({ chunkCount: 2, tagsDigest: v.keccak256Tags, plainLength: v.plaintextLength })
    expect(progress).toEqual([64 * 1024 * 1024, v.plaintextLength])
    expect(sha256(readFileSync(join(dir, "out.zip")))).toBe(sha256(plain))
    expect(readdirSync(dir).sort()).toEqual(["model.enc", "model.zip", "out.zip"])
  })
})

describe("streaming decryption failures leave no plaintext on disk", () => {
  const chunkSize = 64
  const plain = recipe(3 * chunkSize + 10)
  const setup = async (mutate: (file: Uint8Array) => Uint8Array = (f) => f, signer = teeKey) => {
    const dir = freshDir()
    writeFileSync(join(dir, "plain"), plain)
    await run(encryptModelFile(join(dir, "plain"), join(dir, "model.enc"), { key, teeKey: signer, iv0, chunkSize }))
    rmSync(join(dir, "plain"))
    writeFileSync(join(dir, "model.enc"), mutate(new Uint8Array(readFileSync(join(dir, "model.enc")))))
    writeFileSync(join(dir, "model.zip"), "previous contents")
    return dir
  }
  const attempt = (dir: string, k = key) => fail(decryptIn(dir, { key: k, chunkSize }))
  const untouched = (dir: string) => {
    expect(readdirSync(dir).sort()).toEqual(["model.enc", "model.zip"])
    expect(readFileSync(join(dir, "model.zip"), "utf8")).toBe("previous contents")
  }

  it("succeeds on the intact file (control), replacing the old output atomically", async () => {
    const dir = await setup()
    await run(decryptIn(dir, { chunkSize }))
    expect(new Uint8Array(readFileSync(join(dir, "model.zip")))).toEqual(plain)
  })
  it("an existing output that is not a regular file (a link, a FIFO) is refused, not replaced", async () => {
    const dir = await setup()
    rmSync(join(dir, "model.zip"))
    symlinkSync(join(dir, "model.enc"), join(dir, "model.zip"))
    expect(await attempt(dir)).toMatchObject({ _tag: "ModelFileIoError", operation: "replace" })
    expect(lstatSync(join(dir, "model.zip")).isSymbolicLink()).toBe(true)
    rmSync(join(dir, "model.zip"))
    execFileSync("mkfifo", [join(dir, "model.zip")])
    expect(await attempt(dir)).toMatchObject({ _tag: "ModelFileIoError", operation: "replace" })
    expect(lstatSync(join(dir, "model.zip")).isFIFO()).toBe(true)
    expect(readdirSync(dir).filter((n) => n.endsWith(".partial"))).toEqual([])
  })
  it("wrong tag signature → ModelTagSignatureMismatch", async () => {
    const dir = await setup(undefined, Redacted.make(account(2).privateKey))
    expect(await attempt(dir)).toMatchObject({ _tag: "ModelTagSignatureMismatch", recovered: account(2).address })
    untouched(dir)
  })
  it("flipped ciphertext byte in the third chunk → ModelChunkCorrupted after two chunks were written to the temp file", async () => {
    const dir = await setup((f) => {
      f[77 + 2 * (chunkSize + 16) + 9] = (f[77 + 2 * (chunkSize + 16) + 9] ?? 0) ^ 1
      return f
    })
    const seen: Array<Array<string>> = []
    const e = await fail(
      decryptIn(dir, {
        chunkSize,
        onProgress: () => seen.push(readdirSync(dir).sort()),
      }),
    )
    expect(e).toMatchObject({ _tag: "ModelChunkCorrupted", chunkIndex: 2 })
    // While chunks 1–2 were decrypted, plaintext lived only in a hidden temp file beside the output.
    expect(seen).toHaveLength(2)
    expect(seen[0]?.some((n) => /^\.model\.zip\.[0-9a-f]{12}\.partial$/.test(n))).toBe(true)
    untouched(dir)
  })
  it("truncated file → ModelFileTruncated", async () => {
    const dir = await setup((f) => f.subarray(0, f.length - 7))
    expect((await attempt(dir))._tag).toBe("ModelFileTruncated")
    untouched(dir)
  })
  it("wrong key → ModelKeyMismatch", async () => {
    const dir = await setup()
    expect((await attempt(dir, Redacted.make(new Uint8Array(32).fill(9))))._tag).toBe("ModelKeyMismatch")
    untouched(dir)
  })
  it("missing input → ModelFileIoError naming the path", async () => {
    const dir = freshDir()
    const e = await fail(decryptModelFile(join(dir, "nope.enc"), join(dir, "out"), { key, expectedSigner: tee }))
    expect(e).toMatchObject({ _tag: "ModelFileIoError", path: join(dir, "nope.enc"), operation: "open" })
    expect(readdirSync(dir)).toEqual([])
  })
  it("a failed encryption (bad TEE key) leaves no output either", async () => {
    const dir = freshDir()
    writeFileSync(join(dir, "plain"), plain)
    const e = await fail(
      encryptModelFile(join(dir, "plain"), join(dir, "model.enc"), { key, teeKey: Redacted.make("0x00"), chunkSize }),
    )
    expect(e._tag).toBe("InvalidPrivateKey")
    expect(readdirSync(dir)).toEqual(["plain"])
  })
})

describe("file round trip (property)", () => {
  it("decryptModelFile ∘ encryptModelFile = id at chunk boundaries ±1, equal to the in-memory codec's bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(-1, 0, 1),
        async (chunkSize, k, d) => {
          const dir = freshDir()
          const data = recipe(Math.max(0, k * chunkSize + d))
          writeFileSync(join(dir, "p"), data)
          await run(encryptModelFile(join(dir, "p"), join(dir, "e"), { key, teeKey, iv0, chunkSize }))
          await run(decryptModelFile(join(dir, "e"), join(dir, "d"), { key, expectedSigner: tee, chunkSize }))
          expect(new Uint8Array(readFileSync(join(dir, "d")))).toEqual(data)
          const inMemory = await run(encryptModel(data, { key, teeKey, iv0, chunkSize }))
          expect(new Uint8Array(readFileSync(join(dir, "e")))).toEqual(inMemory)
          expect(readdirSync(dir).sort()).toEqual(["d", "e", "p"])
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe("chunks larger than one 4 MiB decipher piece (moved from fine-tuning's decrypt-file test)", () => {
  // 9 MiB + 5 in 8 MiB chunks: the first chunk spans two 4 MiB pieces plus a remainder, the second is short.
  const chunkSize = 8 * 1024 * 1024
  const plain = recipe(9 * 1024 * 1024 + 5)
  const encrypted = () => run(encryptModel(plain, { key, teeKey, iv0, chunkSize }))

  it("decrypts across pieces and chunks to exactly the plaintext, reporting progress per chunk", async () => {
    const { dir, res, progress } = await decryptFresh(await encrypted(), { chunkSize })
    expect(res).toMatchObject({ chunkCount: 2, plainLength: plain.length })
    // Buffer.equals: a deep toEqual over 9 MiB of elements is far too slow.
    expect(readFileSync(join(dir, "model.zip")).equals(plain)).toBe(true)
    expect(progress.map((p) => p.bytesDone)).toEqual([chunkSize, plain.length])
    expect(readdirSync(dir).sort()).toEqual(["model.enc", "model.zip"])
  })

  it("refuses another signer, a byte flipped in the second piece of chunk 1, and a cut file, leaving nothing", async () => {
    const dir = freshDir()
    const file = await encrypted()
    writeFileSync(join(dir, "model.enc"), file)
    const altered = Uint8Array.from(file)
    const inSecondPiece = 77 + 4 * 1024 * 1024 + 10
    altered[inSecondPiece] = (altered[inSecondPiece] ?? 0) ^ 1
    writeFileSync(join(dir, "bad.enc"), altered)
    writeFileSync(join(dir, "cut.enc"), file.subarray(0, file.length - 10))
    const attempt = (name: string, expectedSigner = tee) =>
      fail(decryptModelFile(join(dir, name), join(dir, "out.zip"), { key, expectedSigner, chunkSize }))
    expect(await attempt("model.enc", account(2).address)).toMatchObject({
      _tag: "ModelTagSignatureMismatch",
      recovered: tee,
    })
    expect(await attempt("bad.enc")).toMatchObject({ _tag: "ModelChunkCorrupted", chunkIndex: 0, chunkCount: 2 })
    expect((await attempt("cut.enc"))._tag).toBe("ModelFileTruncated")
    expect(readdirSync(dir).sort()).toEqual(["bad.enc", "cut.enc", "model.enc"])
  })
})

describe("parallel decryption on worker threads", () => {
  const chunkSize = 64
  const plain = recipe(6 * chunkSize + 10)
  const sealed = (data = plain, size = chunkSize) => run(encryptModel(data, { key, teeKey, iv0, chunkSize: size }))
  const flip = (file: Uint8Array, chunk: number, size = chunkSize) => {
    const at = 77 + chunk * (size + 16) + 5
    file[at] = (file[at] ?? 0) ^ 1
    return file
  }
  const attempt = async (file: Uint8Array, options: { threads: number; onProgress?: (p: ModelProgress) => void }) => {
    const dir = freshDir()
    writeFileSync(join(dir, "model.enc"), file)
    writeFileSync(join(dir, "model.zip"), "previous contents")
    const e = await fail(
      decryptIn(dir, {
        chunkSize,
        ...options,
      }),
    )
    expect(readdirSync(dir).sort()).toEqual(["model.enc", "model.zip"])
    expect(readFileSync(join(dir, "model.zip"), "utf8")).toBe("previous contents")
    return e
  }

  it.each([2, 3, 16])("%i threads restore the plaintext and report progress in file order", async (threads) => {
    const { dir, res, progress } = await decryptFresh(await sealed(), { chunkSize, threads })
    expect(res).toMatchObject({ chunkCount: 7, plainLength: plain.length })
    expect(new Uint8Array(readFileSync(join(dir, "model.zip")))).toEqual(plain)
    expect(progress.map((p) => p.chunkIndex)).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(progress.map((p) => p.bytesDone)).toEqual([64, 128, 192, 256, 320, 384, 394])
    expect(readdirSync(dir).sort()).toEqual(["model.enc", "model.zip"])
  })

  it("a corrupted chunk → ModelChunkCorrupted for it, progress only for the chunks before it, nothing left", async () => {
    const progress: Array<number> = []
    const e = await attempt(flip(await sealed(), 2), { threads: 2, onProgress: (p) => progress.push(p.chunkIndex) })
    expect(e).toMatchObject({ _tag: "ModelChunkCorrupted", chunkIndex: 2, chunkCount: 7 })
    expect(progress).toEqual([0, 1])
  })

  it("another signer → ModelTagSignatureMismatch; the workers started early get no key and end", async () => {
    const other = await run(encryptModel(plain, { key, teeKey: Redacted.make(account(2).privateKey), iv0, chunkSize }))
    expect(await attempt(other, { threads: 2 })).toMatchObject({ _tag: "ModelTagSignatureMismatch" })
  })

  it("two corrupted chunks → the lower one is reported", async () => {
    const e = await attempt(flip(flip(await sealed(), 1), 4), { threads: 3 })
    expect(e).toMatchObject({ _tag: "ModelChunkCorrupted", chunkIndex: 1 })
  })

  it("a wrong key → ModelKeyMismatch, as on one thread", async () => {
    const dir = freshDir()
    writeFileSync(join(dir, "model.enc"), await sealed())
    const e = await fail(
      decryptIn(dir, {
        key: Redacted.make(new Uint8Array(32).fill(3)),
        chunkSize,
        threads: 2,
      }),
    )
    expect(e._tag).toBe("ModelKeyMismatch")
    expect(readdirSync(dir)).toEqual(["model.enc"])
  })

  // One thread: the interruption waits for the decipher loop to stop before the files are closed and the temp file
  // deleted (the loop used to go on reading and writing closed handles: an EBADF after Ctrl-C, a .partial left —
  // a race this test exercises but cannot force).
  /** Decrypts an 8-chunk file on `threads`, interrupted at the first progress report; the chunk indices reported. */
  const interruptedAtFirstChunk = async (threads: number) => {
    const size = 1024 * 1024
    const dir = freshDir()
    writeFileSync(join(dir, "model.enc"), await sealed(recipe(8 * size), size))
    const progressed: number[] = []
    const abort = new AbortController()
    const outcome = await Effect.runPromise(
      decryptIn(dir, {
        chunkSize: size,
        threads,
        onProgress: (p) => {
          progressed.push(p.chunkIndex)
          abort.abort()
        },
      }),
      { signal: abort.signal },
    ).then(
      () => "completed",
      () => "interrupted",
    )
    return { dir, outcome, progressed }
  }

  it("interruption on the calling thread stops the loop before the temp file is deleted", async () => {
    const { dir, outcome, progressed } = await interruptedAtFirstChunk(1)
    expect(outcome).toBe("interrupted")
    // the loop had stopped when the interruption completed: no chunk was reported after it
    const reported = progressed.length
    expect(reported).toBeGreaterThan(0)
    expect(reported).toBeLessThan(8)
    expect(readdirSync(dir)).toEqual(["model.enc"])
    await Effect.runPromise(Effect.yieldNow)
    expect(progressed).toHaveLength(reported)
  })

  // The release awaits every worker's exit: were a worker left running, this test would hang rather than pass.
  it("interruption ends the workers and deletes the temp file", async () => {
    const { dir, outcome, progressed } = await interruptedAtFirstChunk(2)
    expect(outcome).toBe("interrupted")
    expect(progressed.length).toBeGreaterThan(0)
    expect(readdirSync(dir)).toEqual(["model.enc"])
  })
})
