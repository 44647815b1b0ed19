/**
 * The media emulator's building blocks: its PNGs are well-formed (checked with zlib). Multipart bodies are parsed by
 * the platform (core's parseFormData). Serving, signing and billing over HTTP: inference's fetch/media.test.ts.
 */
import { createHash } from "node:crypto"
import { inflateSync } from "node:zlib"
import { describe, expect, it } from "vitest"
import { audioSeconds, tinyPng } from "./media.js"

const u32 = (b: Uint8Array, at: number) => Buffer.from(b).readUInt32BE(at)

describe("media emulator", () => {
  it("writes 8×8 RGB PNGs whose length is a multiple of 3 (unpadded base64), one per seed", () => {
    for (const seed of ["a", "b", "a much longer seed than the others"]) {
      const png = tinyPng(createHash("sha256").update(seed).digest())
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
      expect(png.length % 3).toBe(0)
      expect(Buffer.from(png).toString("base64")).not.toContain("=")
      // Walk the chunks: IHDR says 8×8, IDAT inflates to 8 rows of 1 + 8×3 bytes, IEND closes.
      const types: string[] = []
      let idat = Buffer.alloc(0)
      for (let at = 8; at < png.length; ) {
        const len = u32(png, at)
        const type = Buffer.from(png.subarray(at + 4, at + 8)).toString("latin1")
        types.push(type)
        if (type === "IHDR") expect([u32(png, at + 8), u32(png, at + 12)]).toEqual([8, 8])
        if (type === "IDAT") idat = Buffer.from(png.subarray(at + 8, at + 8 + len))
        at += 12 + len
      }
      expect(types[0]).toBe("IHDR")
      expect(types.at(-1)).toBe("IEND")
      expect(inflateSync(idat).length).toBe(8 * (1 + 8 * 3))
    }
    expect(tinyPng(new Uint8Array([1]))).not.toEqual(tinyPng(new Uint8Array([2])))
  })

  it("hears 32 000 bytes as one second, at least one", () => {
    expect([audioSeconds(0), audioSeconds(76_800), audioSeconds(96_000)]).toEqual([1, 2, 3])
  })
})
