import { createHash } from "node:crypto"
import { Redacted } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { keccak256Hasher } from "./keccak.js"
import { decryptModel, encryptModel } from "./model-file.js"
import { chunkIv, MODEL_CHUNK_SIZE, modelFileLength, modelTagsDigest } from "./model-format.js"
import { account, fail, hex, recipe, run, toHexString, vectors } from "./testing/vectors.js"

const mf = vectors.encryptedModelFile
const key = Redacted.make(hex(mf.aesKey))
const teeKey = Redacted.make(account(1).privateKey)
const iv0 = hex(mf.iv0)
const tee = account(1).address

describe("IV counter and lengths", () => {
  it("increments iv0 big-endian with carry (vector ivChunk2) and wraps at 2^96", () => {
    expect(toHexString(chunkIv(iv0, 1))).toBe(mf.twoChunks.ivChunk2)
    expect(toHexString(chunkIv(iv0, 0))).toBe(mf.iv0)
    expect(toHexString(chunkIv(hex("0x00000000000000000000ffff"), 0x10001))).toBe("0x000000000000000000020000")
    expect(toHexString(chunkIv(new Uint8Array(12).fill(0xff), 1))).toBe(`0x${"00".repeat(12)}`)
  })
  it("file length = 77 + len + 16·ceil(len / 64 MiB)", () => {
    expect(modelFileLength(mf.small.plaintextLength)).toBe(mf.small.fileLength)
    expect(modelFileLength(mf.twoChunks.plaintextLength)).toBe(mf.twoChunks.fileLength)
    expect(modelFileLength(MODEL_CHUNK_SIZE)).toBe(77 + MODEL_CHUNK_SIZE + 16)
    expect(modelFileLength(0)).toBe(77)
  })
})

describe("encrypted model file vectors (fine-tuning-protocol §7.2)", () => {
  it("small (one chunk): encrypts byte for byte and decrypts back", async () => {
    const file = await run(encryptModel(recipe(100), { key, teeKey, iv0 }))
    expect(file.length).toBe(mf.small.fileLength)
    expect(toHexString(file)).toBe(mf.small.file)
    expect(modelTagsDigest([file.subarray(-16)])).toBe(mf.small.keccak256Tags)
    expect(keccak256Hasher().update(file).digest()).toBe(mf.small.keccak256File)
    expect(`0x${createHash("sha256").update(file).digest("hex")}`).toBe(mf.small.sha256File)
    const out = await run(decryptModel(hex(mf.small.file), { key, expectedSigner: tee }))
    expect(out.plaintext).toEqual(recipe(100))
    expect(out).toMatchObject({ signer: tee, chunkCount: 1, tagsDigest: mf.small.keccak256Tags })
  })

  it("two chunks (64 MiB + 100): header, tags, tail and hashes match; decrypts back", async () => {
    const v = mf.twoChunks
    const plain = recipe(v.plaintextLength)
    const file = await run(encryptModel(plain, { key, teeKey, iv0 }))
    expect(file.length).toBe(v.fileLength)
    expect(toHexString(file.subarray(0, 77))).toBe(v.first77Bytes)
    const tag1 = file.subarray(77 + MODEL_CHUNK_SIZE, 77 + MODEL_CHUNK_SIZE + 16)
    expect([toHexString(tag1), toHexString(file.subarray(-16))]).toEqual(v.tags)
    expect(modelTagsDigest([tag1, file.subarray(-16)])).toBe(v.keccak256Tags)
    expect(toHexString(file.subarray(-116))).toBe(v.last116Bytes)
    expect(`0x${createHash("sha256").update(file).digest("hex")}`).toBe(v.sha256File)
    // Streaming keccak in 1 MiB pieces, as a file download would feed it.
    const h = keccak256Hasher()
    for (let o = 0; o < file.length; o += 1 << 20) h.update(file.subarray(o, o + (1 << 20)))
    expect(h.digest()).toBe(v.keccak256File)
    const out = await run(decryptModel(file, { key, expectedSigner: tee }))
    expect(out.chunkCount).toBe(2)
    expect(Buffer.from(out.plaintext).equals(Buffer.from(plain))).toBe(true)
  })

  it("accepts tag signatures with v = 27/28 as well as 0/1", async () => {
    const file = hex(mf.small.file)
    file[64] = (file[64] ?? 0) + 27
    expect((await run(decryptModel(file, { key, expectedSigner: tee }))).plaintext).toEqual(recipe(100))
  })
})

describe("decryption failures are distinct and release nothing", () => {
  const chunkSize = 64
  const plain = recipe(3 * chunkSize + 10) // 4 chunks
  const encrypt = (signer = teeKey, k = key) => run(encryptModel(plain, { key: k, teeKey: signer, iv0, chunkSize }))
  const decrypt = (file: Uint8Array, k = key) => decryptModel(file, { key: k, expectedSigner: tee, chunkSize })

  it("round trips with small chunks", async () => {
    expect((await run(decrypt(await encrypt()))).plaintext).toEqual(plain)
  })
  it("tag signature by another key → ModelTagSignatureMismatch", async () => {
    const e = await fail(decrypt(await encrypt(Redacted.make(account(2).privateKey))))
    expect(e).toMatchObject({
      _tag: "ModelTagSignatureMismatch",
      recovered: account(2).address,
      expected: tee,
      chunkCount: 4,
    })
  })
  it("flipped ciphertext byte → ModelChunkCorrupted with its index (first chunk found by probing)", async () => {
    for (const chunk of [0, 2, 3]) {
      const file = await encrypt()
      const at = 77 + chunk * (chunkSize + 16) + 5
      file[at] = (file[at] ?? 0) ^ 0x80
      expect(await fail(decrypt(file))).toMatchObject({ _tag: "ModelChunkCorrupted", chunkIndex: chunk, chunkCount: 4 })
    }
  })
  it("flipped tag byte → ModelTagSignatureMismatch (tags are what the TEE signed)", async () => {
    const file = await encrypt()
    const tagOfChunk1 = 77 + 2 * (chunkSize + 16) - 3
    file[tagOfChunk1] = (file[tagOfChunk1] ?? 0) ^ 0x01
    expect((await fail(decrypt(file)))._tag).toBe("ModelTagSignatureMismatch")
  })
  it("damage to the final tag reads as a file damaged at its end (same class as a cut)", async () => {
    const file = await encrypt()
    file[file.length - 1] = (file[file.length - 1] ?? 0) ^ 0x01
    expect((await fail(decrypt(file)))._tag).toBe("ModelFileTruncated")
  })
  it("truncated file → ModelFileTruncated (in the header, mid-chunk, mid-tag)", async () => {
    const file = await encrypt()
    expect(await fail(decrypt(file.subarray(0, 50)))).toMatchObject({ _tag: "ModelFileTruncated", length: 50 })
    for (const cut of [1, 5, 16, 20, 60, 100]) {
      const e = await fail(decrypt(file.subarray(0, file.length - cut)))
      expect([cut, e._tag]).toEqual([cut, "ModelFileTruncated"])
    }
    expect((await fail(decryptModel(hex(mf.small.file).subarray(0, 77 + 16), { key, expectedSigner: tee })))._tag).toBe(
      "ModelFileTruncated",
    )
  })
  it("a file cut at a chunk boundary fails the tag signature (the signed tag list is shorter)", async () => {
    const file = await encrypt()
    expect((await fail(decrypt(file.subarray(0, 77 + 2 * (chunkSize + 16)))))._tag).toBe("ModelTagSignatureMismatch")
  })
  it("wrong AES key → ModelKeyMismatch (multi-chunk and single-chunk)", async () => {
    const wrong = Redacted.make(new Uint8Array(32).fill(7))
    expect(await fail(decrypt(await encrypt(), wrong))).toMatchObject({ _tag: "ModelKeyMismatch", chunkCount: 4 })
    expect((await fail(decryptModel(hex(mf.small.file), { key: wrong, expectedSigner: tee })))._tag).toBe(
      "ModelKeyMismatch",
    )
  })
  it("bad key length → InvalidAesKey; bad v byte → MalformedSignature", async () => {
    expect((await fail(decrypt(await encrypt(), Redacted.make(new Uint8Array(16)))))._tag).toBe("InvalidAesKey")
    const file = await encrypt()
    file[64] = 5
    expect((await fail(decrypt(file)))._tag).toBe("MalformedSignature")
  })
  it("error messages never contain the key", async () => {
    const e = await fail(decrypt(await encrypt(), Redacted.make(new Uint8Array(32).fill(0xab))))
    expect(`${e.message}${JSON.stringify(e)}`).not.toMatch(/abab|171,171/)
  })
})

describe("round trip (property)", () => {
  it("decrypt ∘ encrypt = id across sizes at chunk boundaries ±1 and random sizes", async () => {
    const size = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(-1, 0, 1)),
      fc.tuple(fc.constant(-1), fc.integer({ min: 0, max: 700 })),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 96 }),
        size,
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        async (chunkSize, [k, d], iv) => {
          const length = k < 0 ? d : Math.max(0, k * chunkSize + d)
          const plain = recipe(length).map((b, i) => b ^ (i * 7))
          const file = await run(encryptModel(plain, { key, teeKey, iv0: iv, chunkSize }))
          expect(file.length).toBe(modelFileLength(length, chunkSize))
          const out = await run(decryptModel(file, { key, expectedSigner: tee, chunkSize }))
          expect(out.plaintext).toEqual(plain)
        },
      ),
      { numRuns: 120 },
    )
  })
  it("the WebCrypto and @noble/ciphers backends produce identical files", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 64 }), async (plain, chunkSize) => {
        const a = await run(encryptModel(plain, { key, teeKey, iv0, chunkSize, backend: "webcrypto" }))
        const b = await run(encryptModel(plain, { key, teeKey, iv0, chunkSize, backend: "noble" }))
        expect(toHexString(a)).toBe(toHexString(b))
        const out = await run(decryptModel(a, { key, expectedSigner: tee, chunkSize, backend: "noble" }))
        expect(out.plaintext).toEqual(plain)
      }),
      { numRuns: 40 },
    )
  })
})
