import { describe, expect, it } from "vitest"
import { joinBytes } from "./bytes.js"

describe("joinBytes", () => {
  it("joins chunks in order, with or without the length counted by the caller", () => {
    const parts = [Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3), Uint8Array.of(4, 5, 6)]
    expect([...joinBytes(parts)]).toEqual([1, 2, 3, 4, 5, 6])
    expect([...joinBytes(parts, 6)]).toEqual([1, 2, 3, 4, 5, 6])
  })

  it("returns a lone chunk as it is and nothing as an empty array", () => {
    const one = Uint8Array.of(7, 8)
    expect(joinBytes([one])).toBe(one)
    expect(joinBytes([])).toEqual(new Uint8Array(0))
  })
})
