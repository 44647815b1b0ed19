import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { encryptModel } from "@0g-compute/crypto"
import { Effect, Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decryptFile } from "./decrypt-file.js"

// 9 MiB + 5 in 8 MiB chunks: the first chunk spans two 4 MiB pieces plus a remainder, the second is short.
const CHUNK = 8 * 1024 * 1024
const plain = new Uint8Array(9 * 1024 * 1024 + 5).map((_, i) => (i * 31 + 7) % 251)
const tee = Wallet.createRandom()
const key = Redacted.make(new Uint8Array(32).map((_, i) => i + 1))

describe("decryptFile (fixed-memory streaming decryption)", () => {
  let dir: string
  let enc: string
  let file: Uint8Array
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "zg-ft-decrypt-"))
    file = await Effect.runPromise(
      encryptModel(plain, { key, teeKey: Redacted.make(tee.privateKey), chunkSize: CHUNK }),
    )
    enc = join(dir, "model.enc")
    await writeFile(enc, file)
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  const refusal = (p: string, signer = tee.address) =>
    Effect.runPromise(
      Effect.flip(decryptFile(p, join(dir, "out.zip"), { key, expectedSigner: signer, chunkSize: CHUNK })),
    )

  it("decrypts across pieces and chunks to exactly the plaintext, reporting progress per chunk", async () => {
    const progress: Array<number> = []
    const out = join(dir, "ok.zip")
    const r = await Effect.runPromise(
      decryptFile(enc, out, {
        key,
        expectedSigner: tee.address,
        chunkSize: CHUNK,
        onProgress: (p) => progress.push(p.bytesDone),
      }),
    )
    expect(r).toEqual({ plainLength: plain.length, chunkCount: 2 })
    // Buffer.equals: a deep toEqual over 9 MiB of elements is far too slow.
    expect((await readFile(out)).equals(plain)).toBe(true)
    expect(progress).toEqual([CHUNK, plain.length])
  })

  it("refuses another signer before writing anything, and a corrupted piece after writing only to a deleted temp", async () => {
    const before = await readdir(dir)
    expect(await refusal(enc, Wallet.createRandom().address)).toMatchObject({
      refusal: { kind: "signature", recovered: tee.address },
    })
    const altered = Uint8Array.from(file)
    const inSecondPiece = 77 + 4 * 1024 * 1024 + 10
    altered[inSecondPiece] = (altered[inSecondPiece] ?? 0) ^ 1
    const bad = join(dir, "bad.enc")
    await writeFile(bad, altered)
    expect(await refusal(bad)).toMatchObject({ refusal: { kind: "chunk", index: 0, count: 2 } })
    const cut = join(dir, "cut.enc")
    await writeFile(cut, file.subarray(0, file.length - 10))
    expect((await refusal(cut))._tag).toBe("DecryptRefused")
    expect((await readdir(dir)).filter((f) => !before.includes(f)).sort()).toEqual(["bad.enc", "cut.enc"])
  })
})
