import { Result, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { formatZG, NEURON_PER_ZG, parseZGResult, parseZGSync, ZGAmount } from "./amounts.js"
import { InvalidAmount } from "./errors.js"

const reason = (input: string) => {
  const r = parseZGResult(input)
  if (Result.isSuccess(r)) throw new Error(`expected ${input} to fail`)
  return r.failure.reason
}

describe("parseZG", () => {
  it("parses whole, fractional and maximal-precision amounts exactly", () => {
    expect(parseZGSync("1")).toBe(NEURON_PER_ZG)
    expect(parseZGSync("0.5")).toBe(5n * 10n ** 17n)
    expect(parseZGSync("3.000000000000000001")).toBe(3n * NEURON_PER_ZG + 1n)
    expect(parseZGSync("0")).toBe(0n)
    expect(parseZGSync(" 2.5 ")).toBe(25n * 10n ** 17n)
    expect(parseZGSync("123456789012345678901234567890")).toBe(123456789012345678901234567890n * NEURON_PER_ZG)
  })

  it.each([
    ["", "empty"],
    ["   ", "empty"],
    ["-1", "negative"],
    ["1e18", "exponent"],
    ["1E2", "exponent"],
    ["NaN", "decimal number"],
    ["Infinity", "decimal number"],
    ["0x10", "decimal number"],
    ["1.", "decimal number"],
    [".5", "decimal number"],
    ["1,5", "decimal number"],
    ["1.0000000000000000001", "more than 18"],
  ])("rejects %j (%s)", (input, why) => {
    expect(reason(input)).toContain(why)
  })

  it("throws the typed error from the sync form", () => {
    expect(() => parseZGSync("abc")).toThrow(InvalidAmount)
    try {
      parseZGSync("-2")
    } catch (e) {
      expect(e).toMatchObject({ _tag: "InvalidAmount", input: "-2" })
    }
  })

  it("round-trips every neuron amount through its decimal form", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), (n) => {
        expect(parseZGSync(formatZG(n))).toBe(n)
      }),
    )
  })

  it("formats canonically: no trailing zeros, no exponent, integer part always present", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), (n) => {
        const s = formatZG(n)
        expect(s).toMatch(/^\d+(\.\d*[1-9])?$/)
      }),
    )
    expect(formatZG(1n)).toBe("0.000000000000000001")
    expect(formatZG(10n ** 18n)).toBe("1")
    expect(formatZG(-(10n ** 17n))).toBe("-0.1")
  })

  it("never accepts a string that carries a sign or exponent", () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom("-", "e", "E"), fc.string(), (a, mark, b) => {
        expect(Result.isFailure(parseZGResult(`${a}${mark}${b}`))).toBe(true)
      }),
    )
  })

  it("decodes and encodes through the ZGAmount schema", () => {
    expect(Schema.decodeUnknownSync(ZGAmount)("1.25")).toBe(125n * 10n ** 16n)
    expect(Schema.encodeSync(ZGAmount)(10n ** 18n)).toBe("1")
    expect(() => Schema.decodeUnknownSync(ZGAmount)("1e3")).toThrow(/exponent/)
    expect(() => Schema.decodeUnknownSync(ZGAmount)(5)).toThrow()
  })
})
