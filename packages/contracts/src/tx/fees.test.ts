import { makeError } from "ethers"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { bumpBy, bumpFees, classifySendError, maxPricePerGas, withHeadroom } from "./fees.js"

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
