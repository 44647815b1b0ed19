/**
 * The broker's fee formula against vectors worked by hand from 0g-serving-broker `chatbot.go` (integer arithmetic,
 * multiply then divide, floors), and the model card's pricing block decoded into a plan.
 */
import { describe, expect, it } from "vitest"
import { type BillingPlan, brokerFee, flatPlan, matchedTier, planFromModelCard, worstCasePrices } from "./billing.js"
import { planFromCatalog } from "./billing-plans.js"

const G = 1_000_000_000n
const tier = (maxInputTokens: number, i: [bigint, bigint], o: [bigint, bigint]) => ({
  maxInputTokens,
  inputNum: i[0],
  inputDen: i[1],
  outputNum: o[0],
  outputDen: o[1],
})

describe("brokerFee", () => {
  it("flat: prompt × input + completion × output", () => {
    expect(brokerFee(flatPlan(G, 2n * G), { promptTokens: 10, completionTokens: 5 })).toEqual({
      inputFee: 10n * G,
      outputFee: 10n * G,
      fee: 20n * G,
    })
  })

  it("tiers: the first bound that holds, the unbounded tier catches the rest, fractions floor", () => {
    const plan: BillingPlan = {
      ...flatPlan(G + 1n, 2n * G),
      tiers: [tier(100, [1n, 1n], [1n, 1n]), tier(0, [3n, 2n], [2n, 1n])],
    }
    expect(brokerFee(plan, { promptTokens: 100, completionTokens: 1 }).fee).toBe(100n * (G + 1n) + 2n * G)
    // 150 > 100: input price (G+1)·3/2 floored = 1_500_000_001, output doubled.
    expect(brokerFee(plan, { promptTokens: 150, completionTokens: 5 })).toEqual({
      inputFee: 150n * 1_500_000_001n,
      outputFee: 5n * 4n * G,
      fee: 150n * 1_500_000_001n + 20n * G,
    })
    // Past every bounded tier: the last one.
    expect(matchedTier([tier(10, [1n, 1n], [1n, 1n]), tier(20, [2n, 1n], [1n, 1n])], 99)?.maxInputTokens).toBe(20)
  })

  it("cache: reads at price / divisor, writes at the premium, the 1-hour tier falls back to the default", () => {
    const p = 1_000_000_007n
    const plan: BillingPlan = {
      ...flatPlan(p, 0n),
      cache: { divisor: 10n, write: { num: 5n, den: 4n }, write1h: undefined },
    }
    const fee = brokerFee(plan, {
      promptTokens: 100,
      completionTokens: 0,
      cachedTokens: 30,
      cacheWriteTokens: 20,
      cacheWrite1hTokens: 15,
    })
    // 3_000_000_021 + 25_000_000_175 + 18_750_000_131 + 35 × p
    expect(fee.inputFee).toBe(81_750_000_572n)
  })

  it("cache: counts are clamped (read first), and nothing is carved out when caching is not billed", () => {
    const plan: BillingPlan = { ...flatPlan(G, 0n), cache: { divisor: 4n } }
    expect(brokerFee(plan, { promptTokens: 8, completionTokens: 0, cachedTokens: 50 }).inputFee).toBe(2n * G)
    // No write premium configured: write tokens bill at full price.
    expect(brokerFee(plan, { promptTokens: 8, completionTokens: 0, cacheWriteTokens: 8 }).inputFee).toBe(8n * G)
    expect(brokerFee(flatPlan(G, 0n), { promptTokens: 8, completionTokens: 0, cachedTokens: 8 }).inputFee).toBe(8n * G)
  })

  it("tiers apply before the cache split", () => {
    const plan: BillingPlan = {
      ...flatPlan(10n, 0n),
      tiers: [tier(4, [1n, 1n], [1n, 1n]), tier(0, [2n, 1n], [1n, 1n])],
      cache: { divisor: 2n },
    }
    // 10 tokens → tier 2 (price 20); 6 cached at 20·6/2 = 60; 4 full at 80.
    expect(brokerFee(plan, { promptTokens: 10, completionTokens: 0, cachedTokens: 6 }).inputFee).toBe(140n)
  })
})

describe("worstCasePrices", () => {
  it("the dearest tier with the dearest cache-write premium, rounded up, over every plan", () => {
    const a: BillingPlan = {
      ...flatPlan(10n, 3n),
      tiers: [tier(100, [1n, 1n], [1n, 1n]), tier(0, [3n, 2n], [5n, 3n])],
      cache: { divisor: 10n, write: { num: 5n, den: 4n }, write1h: { num: 2n, den: 1n } },
    }
    // input 10·3/2 = 15, then ×2 (1-hour premium) = 30; output 3·5/3 = 5.
    expect(worstCasePrices([a])).toEqual({ inputPerToken: 30n, outputPerToken: 5n })
    expect(worstCasePrices([a, flatPlan(31n, 1n)])).toEqual({ inputPerToken: 31n, outputPerToken: 5n })
    expect(worstCasePrices([{ ...flatPlan(7n, 7n), tiers: [tier(0, [4n, 3n], [1n, 1n])] }]).inputPerToken).toBe(10n)
    // Every fee the plan can bill stays within the worst case per token.
    const w = worstCasePrices([a])
    const fee = brokerFee(a, { promptTokens: 200, completionTokens: 7, cacheWrite1hTokens: 200 })
    expect(fee.fee <= 200n * w.inputPerToken + 7n * w.outputPerToken).toBe(true)
  })
})

describe("planFromModelCard", () => {
  const onChain = { inputPrice: 7n, outputPrice: 9n }

  it("decodes the broker's pricing block (denominators default to 1, 1-hour fields optional)", () => {
    const plan = planFromModelCard(
      {
        prompt: "100",
        completion: "200",
        tiered_pricing: [
          { max_input_tokens: 32000, input_multiplier: 1, output_multiplier: 1 },
          { max_input_tokens: 0, input_multiplier: 3, output_multiplier: 5, input_multiplier_denominator: 2 },
        ],
        cache_token_billing: { divisor: 10, write_multiplier_numerator: 5, write_multiplier_denominator: 4 },
      },
      onChain,
    )
    expect(plan).toEqual({
      inputPrice: 100n,
      outputPrice: 200n,
      tiers: [tier(32000, [1n, 1n], [1n, 1n]), tier(0, [3n, 2n], [5n, 1n])],
      cache: { divisor: 10n, write: { num: 5n, den: 4n }, write1h: undefined },
      source: "provider",
    })
  })

  it("keeps the on-chain prices when the card has none, and refuses a malformed block", () => {
    expect(planFromModelCard({ cache_token_billing: { divisor: 3 } }, onChain)?.inputPrice).toBe(7n)
    expect(planFromModelCard({ prompt: "-1" }, onChain)).toBeUndefined()
    expect(planFromModelCard({ tiered_pricing: [{ max_input_tokens: 1.5 }] }, onChain)).toBeUndefined()
  })

  it("a multi-model catalogue bills an unlisted model at the on-chain prices (the broker's ceiling)", () => {
    const service = {
      model: "a",
      inputPrice: { perToken: 7n, perTokenZG: "", perMillionZG: "" },
      outputPrice: { perToken: 9n, perTokenZG: "", perMillionZG: "" },
    }
    const catalog = {
      provider: "0x",
      url: "",
      multiModel: true,
      priceDenomination: undefined,
      defaultModel: "a",
      source: "provider" as const,
      models: [
        { id: "a", contextLength: undefined, pricing: { prompt: "1", completion: "2" } },
        { id: "b", contextLength: undefined, pricing: { prompt: "3", completion: "4" } },
      ],
    }
    expect(planFromCatalog(service, catalog, "b").inputPrice).toBe(3n)
    // Hostile: a card above the on-chain ceiling is capped (a USD provider's live-rate card is taken as published).
    const inflated = {
      ...catalog,
      models: [{ id: "a", contextLength: undefined, pricing: { prompt: "70", completion: "2" } }],
    }
    expect(planFromCatalog(service, inflated, "a").inputPrice).toBe(7n)
    expect(planFromCatalog(service, { ...inflated, priceDenomination: "USD" }, "a").inputPrice).toBe(70n)
    expect(planFromCatalog(service, catalog, "zzz")).toEqual(flatPlan(7n, 9n))
    // Single-model: whatever the request names, the one card applies.
    expect(planFromCatalog(service, { ...catalog, multiModel: false }, "zzz").inputPrice).toBe(1n)
  })
})
