import { describe, expect, it } from "vitest"
import { SEGMENT_SIZE } from "./constants.js"
import { computeRoot } from "./facade.js"

describe("computeRoot facade", () => {
  const data = new Uint8Array(3 * SEGMENT_SIZE + 1234).map((_, i) => (i * 11) & 255)

  it("gives the same root for bytes, ArrayBuffer, Blob and ReadableStream, with progress", async () => {
    const fromBytes = await computeRoot(data)
    const seen: number[] = []
    const fromBlob = await computeRoot(new Blob([data]), { onProgress: (p) => seen.push(p.bytes) })
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let o = 0; o < data.length; o += 100_000) c.enqueue(data.slice(o, o + 100_000))
        c.close()
      },
    })
    expect(fromBlob.root).toBe(fromBytes.root)
    expect((await computeRoot(stream)).root).toBe(fromBytes.root)
    expect((await computeRoot(data.slice().buffer)).root).toBe(fromBytes.root)
    expect(seen.at(-1)).toBe(data.length)
  })

  it("rejects with the typed errors themselves", async () => {
    const ac = new AbortController()
    ac.abort()
    await expect(computeRoot(data, { signal: ac.signal })).rejects.toMatchObject({ _tag: "StorageAborted" })
    await expect(computeRoot(new Uint8Array(0))).rejects.toMatchObject({ _tag: "EmptyFile" })
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        c.error(new Error("disk on fire"))
      },
    })
    await expect(computeRoot(failing)).rejects.toMatchObject({ _tag: "SourceReadError" })
  })
})
