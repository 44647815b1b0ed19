import { Effect, Stream } from "effect"
import { keccak256 } from "ethers"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { keccak256Chunks, keccak256Hasher, keccak256Stream } from "./keccak.js"
import { hex, run, split, vectors } from "./testing/vectors.js"

describe("streaming keccak256", () => {
  it("matches the vectors' keccak256(file) of the small model file", () => {
    const file = hex(vectors.encryptedModelFile.small.file)
    expect(keccak256Chunks(split(file, [1, 77, 100]))).toBe(vectors.encryptedModelFile.small.keccak256File)
  })
  it("any chunking gives the one-shot digest; the counter tracks bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const h = keccak256Hasher()
        for (const c of split(bytes, cuts)) h.update(c)
        expect(h.bytesHashed()).toBe(bytes.length)
        expect(h.digest()).toBe(keccak256(bytes))
      }),
    )
  })
  it("hashes an Effect Stream and an async iterable", async () => {
    const bytes = new TextEncoder().encode("0G compute ".repeat(50))
    const chunks = split(bytes, [3, 40, 41, 300])
    expect(await run(keccak256Stream(Stream.fromIterable(chunks)))).toBe(keccak256(bytes))
    async function* gen() {
      yield* chunks
    }
    expect(await run(keccak256Stream(Stream.fromAsyncIterable(gen(), (e) => e)))).toBe(keccak256(bytes))
  })
  it("a failing Stream fails the digest with its error", async () => {
    const failing = Stream.concat(Stream.make(new Uint8Array([1])), Stream.fail("boom" as const))
    expect(await Effect.runPromise(Effect.flip(keccak256Stream(failing)))).toBe("boom")
  })
})
