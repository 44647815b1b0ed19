import { makeError } from "ethers"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { bumpBy, bumpFees, capFees, classifySendError, maxPricePerGas, replacementFees, withHeadroom } from "./fees.js"

const wei = fc.bigInt({ min: 0n, max: 10n ** 30n })

describe("fee bumps", () => {
  it("raise both EIP-1559 fields by at least 10% and by at least 1 wei", () => {
    fc.assert(
      fc.property(wei, wei, fc.double({ min: 10, max: 100, noNaN: true }), (a, b, pct) => {
        const fees = { type: 2 as const, maxFeePerGas: a > b ? a : b, maxPriorityFeePerGas: a > b ? b : a }
        const bumped = bumpFees(fees, pct)
        if (bumped.type !== 2) throw new Error("type changed")
        expect(bumped.maxPriorityFeePerGas * 10n).toBeGreaterThanOrEqual(fees.maxPriorityFeePerGas * 11n)
        expect(bumped.maxFeePerGas * 10n).toBeGreaterThanOrEqual(fees.maxFeePerGas * 11n)
        expect(bumped.maxPriorityFeePerGas).toBeGreaterThan(fees.maxPriorityFeePerGas)
        expect(bumped.maxFeePerGas).toBeGreaterThan(fees.maxFeePerGas)
        expect(bumped.maxFeePerGas).toBeGreaterThanOrEqual(bumped.maxPriorityFeePerGas)
      }),
    )
  })

  it("raise a legacy gas price and round up", () => {
    fc.assert(
      fc.property(wei, (gasPrice) => {
        const bumped = bumpFees({ type: 0, gasPrice }, 10)
        expect(maxPricePerGas(bumped) * 10n).toBeGreaterThanOrEqual(gasPrice * 11n)
        expect(maxPricePerGas(bumped)).toBeGreaterThan(gasPrice)
      }),
    )
    expect(bumpBy(100n, 12.5)).toBe(113n)
    expect(bumpBy(7n, 10)).toBe(8n)
    expect(bumpBy(0n, 10)).toBe(1n)
  })

  it("adds gas headroom rounded up", () => {
    expect(withHeadroom(100_000n, 20)).toBe(120_000n)
    expect(withHeadroom(21_001n, 20)).toBe(25_202n)
  })
})

describe("send error classification", () => {
  it("uses ethers codes first", () => {
    expect(classifySendError(makeError("nonce has already been used", "NONCE_EXPIRED", { transaction: {} }))).toBe(
      "nonce",
    )
    expect(
      classifySendError(makeError("replacement fee too low", "REPLACEMENT_UNDERPRICED", { transaction: {} })),
    ).toBe("underpriced")
    expect(classifySendError(makeError("insufficient funds", "INSUFFICIENT_FUNDS", { transaction: {} }))).toBe(
      "insufficient-funds",
    )
  })

  it("falls back to node messages, also nested under info.error", () => {
    expect(classifySendError(new Error("nonce too low: next nonce 5, tx nonce 4"))).toBe("nonce")
    expect(
      classifySendError({
        message: "could not coalesce error",
        info: { error: { message: "transaction underpriced" } },
      }),
    ).toBe("underpriced")
    expect(classifySendError(new Error("max fee per gas less than block base fee"))).toBe("underpriced")
    expect(classifySendError(new Error("connection refused"))).toBe("other")
  })
})

describe("gas price ceiling", () => {
  it("caps EIP-1559 fees at the ceiling and asks for the base fee when it is above", () => {
    const fees = { type: 2 as const, maxFeePerGas: 300n, maxPriorityFeePerGas: 100n }
    expect(capFees(fees, 250n, 100n)).toEqual({ type: 2, maxFeePerGas: 250n, maxPriorityFeePerGas: 100n })
    expect(capFees(fees, 80n, 50n)).toEqual({ type: 2, maxFeePerGas: 80n, maxPriorityFeePerGas: 80n })
    expect(capFees(fees, 99n, 100n)).toEqual({ required: 100n })
    expect(capFees({ type: 0, gasPrice: 10n }, 9n, 0n)).toEqual({ required: 10n })
    expect(capFees({ type: 0, gasPrice: 10n }, 10n, 0n)).toEqual({ type: 0, gasPrice: 10n })
  })

  it("replacements rise ≥ 10 %, follow the network when it is higher, and stop at the ceiling", () => {
    fc.assert(
      fc.property(wei, wei, fc.double({ min: 10, max: 50, noNaN: true }), (a, b, pct) => {
        const prev = {
          type: 2 as const,
          maxFeePerGas: (a > b ? a : b) + 1n,
          maxPriorityFeePerGas: (a > b ? b : a) + 1n,
        }
        const next = replacementFees(prev, pct, undefined, undefined)
        if ("required" in next || next.type !== 2) throw new Error("no replacement")
        expect(next.maxFeePerGas * 10n).toBeGreaterThanOrEqual(prev.maxFeePerGas * 11n)
        expect(next.maxPriorityFeePerGas * 10n).toBeGreaterThanOrEqual(prev.maxPriorityFeePerGas * 11n)
        const ceiling = replacementFees(prev, pct, undefined, next.maxFeePerGas - 1n)
        if ("required" in ceiling) {
          expect(ceiling.required).toBeGreaterThan(next.maxFeePerGas - 1n)
        } else {
          expect(maxPricePerGas(ceiling)).toBeLessThanOrEqual(next.maxFeePerGas - 1n)
          expect(maxPricePerGas(ceiling) * 10n).toBeGreaterThanOrEqual(prev.maxFeePerGas * 11n)
        }
      }),
    )
    const legacy = replacementFees({ type: 0, gasPrice: 100n }, 10, { type: 0, gasPrice: 500n }, undefined)
    expect(legacy).toEqual({ type: 0, gasPrice: 500n })
    expect(replacementFees({ type: 0, gasPrice: 100n }, 10, undefined, 105n)).toEqual({ required: 110n })
  })
})
