/**
 * The emulator's broker pricing against vectors worked by hand from 0g-serving-broker `chatbot.go`, and the model
 * card it publishes (models.go: denominators only when not 1, the 1-hour write fraction resolved to the default).
 */
import { describe, expect, it } from "vitest"
import { billingPrices, brokerCharge, onChainCeiling, pricingCard, servedModels } from "./pricing.js"

const onChain = { inputPrice: 1_000_000_007n, outputPrice: 3n }

describe("brokerCharge", () => {
  it("cache reads at price / divisor, writes at the premium (1-hour falls back to it), the rest full", () => {
    const prices = billingPrices(
      { cacheTokenBilling: { divisor: 10, writeMultiplierNumerator: 5, writeMultiplierDenominator: 4 } },
      "m",
      onChain,
    )
    const fee = brokerCharge(
      { promptTokens: 100n, completionTokens: 2n, cachedTokens: 30n, cacheWriteTokens: 20n, cacheWrite1hTokens: 15n },
      prices,
    )
    expect(fee).toEqual({ inputFee: 81_750_000_572n, outputFee: 6n, fee: 81_750_000_578n })
  })

  it("the tier is matched on prompt tokens and scales both prices before anything else", () => {
    const prices = billingPrices(
      {
        tiers: [
          { maxInputTokens: 4, inputMultiplier: 1, outputMultiplier: 1 },
          { maxInputTokens: 0, inputMultiplier: 2, outputMultiplier: 3 },
        ],
        cacheTokenBilling: { divisor: 2 },
      },
      "m",
      { inputPrice: 10n, outputPrice: 1n },
    )
    expect(brokerCharge({ promptTokens: 4n, completionTokens: 1n }, prices).fee).toBe(41n)
    // 10 tokens → ×2 input, ×3 output; 6 cached at 20·6/2, 4 full at 20.
    expect(brokerCharge({ promptTokens: 10n, completionTokens: 1n, cachedTokens: 6n }, prices).fee).toBe(143n)
  })

  it("per-model entries win over the on-chain prices, and their own cache block over the service's", () => {
    const billing = {
      cacheTokenBilling: { divisor: 10 },
      modelPricing: [
        { model: "a", inputPrice: 5n, outputPrice: 6n },
        { model: "b", inputPrice: 7n, outputPrice: 8n, cacheTokenBilling: { divisor: 2 } },
      ],
    }
    expect(servedModels(billing, "a")).toEqual(["a", "b"])
    expect(billingPrices(billing, "b", onChain)).toMatchObject({ inputPrice: 7n, cache: { divisor: 2 } })
    expect(billingPrices(billing, "zzz", onChain)).toMatchObject({ inputPrice: onChain.inputPrice })
  })
})

describe("onChainCeiling", () => {
  it("a multi-model provider registers the tier-adjusted max over its models; a single-model one its prices", () => {
    const billing = {
      tiers: [{ maxInputTokens: 0, inputMultiplier: 3, outputMultiplier: 2, inputMultiplierDenominator: 2 }],
      modelPricing: [
        {
          model: "a",
          inputPrice: 11n,
          outputPrice: 40n,
          tiers: [{ maxInputTokens: 0, inputMultiplier: 1, outputMultiplier: 1 }],
        },
        { model: "b", inputPrice: 9n, outputPrice: 5n },
      ],
    }
    // a: own 1/1 tier → 11, 40; b: service tier → 9·3/2 = 13, 5·2 = 10.
    expect(onChainCeiling(billing, onChain)).toEqual({ inputPrice: 13n, outputPrice: 40n })
    expect(onChainCeiling({ tiers: billing.tiers }, onChain)).toEqual(onChain)
  })
})

describe("pricingCard", () => {
  it("publishes what it bills", () => {
    const card = pricingCard(
      billingPrices(
        {
          tiers: [{ maxInputTokens: 0, inputMultiplier: 3, outputMultiplier: 1, inputMultiplierDenominator: 2 }],
          cacheTokenBilling: { divisor: 4, writeMultiplierNumerator: 5, writeMultiplierDenominator: 4 },
        },
        "m",
        onChain,
      ),
    )
    expect(card).toEqual({
      prompt: "1000000007",
      completion: "3",
      tiered_pricing: [
        { max_input_tokens: 0, input_multiplier: 3, output_multiplier: 1, input_multiplier_denominator: 2 },
      ],
      cache_token_billing: {
        divisor: 4,
        write_multiplier_numerator: 5,
        write_multiplier_denominator: 4,
        write_1h_multiplier_numerator: 5,
        write_1h_multiplier_denominator: 4,
      },
    })
  })
})
