import { describe, expect, it } from "vitest"
import { isRecord, parseJsonRecord } from "./json.js"

describe("JSON from outside", () => {
  it("reads only objects as records", () => {
    expect(isRecord({ a: 1 })).toBe(true)
    expect(isRecord([1])).toBe(false)
    expect(isRecord(null)).toBe(false)
    expect(isRecord("{}")).toBe(false)
  })

  it("parses an object and refuses everything else without throwing", () => {
    expect(parseJsonRecord('{"id":"x"}')).toEqual({ id: "x" })
    expect(parseJsonRecord("[1,2]")).toBeUndefined()
    expect(parseJsonRecord("42")).toBeUndefined()
    expect(parseJsonRecord("{not json")).toBeUndefined()
  })
})
