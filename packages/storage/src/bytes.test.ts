import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { base64Into, bytesEqual, decodeBase64, encodeBase64, fromBase64, fromHex, toBase64, toHex } from "./bytes.js"

describe("bytes", () => {
  it("portable base64 matches Buffer both ways", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40_000 }), (data) => {
        const ref = Buffer.from(data).toString("base64")
        expect(encodeBase64(data)).toBe(ref)
        expect(toBase64(data)).toBe(ref)
        expect(bytesEqual(decodeBase64(ref), data)).toBe(true)
        expect(bytesEqual(fromBase64(ref) as Uint8Array, data)).toBe(true)
        const out = new Uint8Array(ref.length + 3).fill(33)
        expect(base64Into(data, out, 2)).toBe(2 + ref.length)
        expect(Buffer.from(out.subarray(2, 2 + ref.length)).toString("latin1")).toBe(ref)
        expect([out[0], out[1], out[out.length - 1]]).toEqual([33, 33, 33])
      }),
      { numRuns: 60 },
    )
  })

  it("rejects malformed base64 and hex", () => {
    expect(fromBase64("abc")).toBeUndefined()
    expect(fromBase64("ab$=")).toBeUndefined()
    expect(fromHex("0x123")).toBeUndefined()
    expect(fromHex("0xzz")).toBeUndefined()
    expect(fromHex("0x1234", 32)).toBeUndefined()
  })

  it("hex round-trips", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const h = toHex(data)
        expect(h).toBe(`0x${Buffer.from(data).toString("hex")}`)
        expect(bytesEqual(fromHex(h.toUpperCase().replace("0X", "0x")) as Uint8Array, data)).toBe(true)
      }),
    )
  })
})
