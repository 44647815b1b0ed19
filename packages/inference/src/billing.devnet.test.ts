/**
 * Billing as the 2026 broker bills, end to end: an emulated provider with input-length tiers, cache-read and
 * cache-write prices and two models at their own prices (one with its own cache divisor). After a run of mixed
 * requests — sizes on both sides of the tier bound, repeated prefixes (cache reads) and new ones (cache writes),
 * streams and non-streams, both models — the sum of our usage records equals what the provider's
 * `GET /v1/user/{addr}/unsettledfee` reports, to the neuron; a refused request adds nothing on either side.
 */
import type { EmulatedBilling } from "@0g-compute/devnet"
import { describe, expect, it } from "vitest"
import { brokerFee, flatPlan } from "./billing.js"
import { useTestDevnet } from "./testing/fixture.js"

const MODEL_A = "devnet-echo-1"
const MODEL_B = "devnet-echo-large"
const billing: EmulatedBilling = {
  tiers: [
    { maxInputTokens: 12, inputMultiplier: 1, outputMultiplier: 1 },
    { maxInputTokens: 0, inputMultiplier: 3, outputMultiplier: 2, inputMultiplierDenominator: 2 },
  ],
  cacheTokenBilling: { divisor: 10, writeMultiplierNumerator: 5, writeMultiplierDenominator: 4 },
  modelPricing: [
    { model: MODEL_A, inputPrice: 1_000_000_007n, outputPrice: 2_000_000_011n },
    {
      model: MODEL_B,
      inputPrice: 3_000_000_019n,
      outputPrice: 5_000_000_003n,
      cacheTokenBilling: { divisor: 4 },
    },
  ],
}

const t = useTestDevnet({ inference: { billing }, ledger: "10", acknowledge: { fund: "3" }, openai: true })

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(" ")

const ask = async (model: string, messages: Array<{ role: "system" | "user"; content: string }>, stream: boolean) => {
  if (!stream) {
    await t.openai.chat.completions.create({ model, messages })
    return
  }
  const s = await t.openai.chat.completions.create({ model, messages, stream: true })
  for await (const _ of s) {
    // drain: the record is written when the stream ends
  }
}

describe("usage records vs the provider's unsettled fee", () => {
  it("the provider registers the tier-adjusted max over its models on chain, and publishes its plan per model", async () => {
    // max(1_000_000_007, 3_000_000_019) × 3/2 floored; max(2_000_000_011, 5_000_000_003) × 2.
    expect(t.provider.inputPrice).toBe(4_500_000_028n)
    expect(t.provider.outputPrice).toBe(10_000_000_006n)
    const catalog = await t.user.client.listModels(t.provider.providerAddress)
    expect(catalog.models.map((m) => m.id)).toEqual([MODEL_A, MODEL_B])
    expect(catalog.models[1]?.pricing).toMatchObject({
      prompt: "3000000019",
      cache_token_billing: { divisor: 4 },
      tiered_pricing: [{ max_input_tokens: 12 }, { max_input_tokens: 0, input_multiplier_denominator: 2 }],
    })
  })

  it("a mixed run sums to the provider's unsettledfee to the neuron", async () => {
    const system = words(9, "sys")
    const plan: Array<[string, Array<{ role: "system" | "user"; content: string }>, boolean]> = [
      [MODEL_A, [{ role: "user", content: words(3, "a") }], false], // small: tier 1, nothing cacheable
      [
        MODEL_A,
        [
          { role: "system", content: system },
          { role: "user", content: words(4, "b") },
        ],
        true,
      ], // writes 9
      [
        MODEL_A,
        [
          { role: "system", content: system },
          { role: "user", content: words(2, "c") },
        ],
        false,
      ], // reads 9
      [MODEL_A, [{ role: "user", content: words(30, "d") }], true], // large: tier 2
      [
        MODEL_B,
        [
          { role: "system", content: system },
          { role: "user", content: words(20, "e") },
        ],
        false,
      ], // B writes
      [
        MODEL_B,
        [
          { role: "system", content: system },
          { role: "user", content: words(1, "f") },
        ],
        true,
      ], // B reads
      [MODEL_B, [{ role: "user", content: words(5, "g") }], false],
    ]
    const before = t.user.client.usageRecords().length
    for (const [model, messages, stream] of plan) await ask(model, messages, stream)
    const records = t.user.client.usageRecords().slice(before)
    expect(records).toHaveLength(plan.length)
    expect(records.every((r) => r.verdict === "Verified")).toBe(true)
    // The run really crossed the tier bound and hit both cache paths.
    expect(records.some((r) => r.promptTokens > 12)).toBe(true)
    expect(records.filter((r) => (r.cachedTokens ?? 0) > 0).map((r) => r.model)).toEqual([MODEL_A, MODEL_B])
    expect(records.filter((r) => (r.cacheWriteTokens ?? 0) > 0)).toHaveLength(2)

    const ours = records.reduce((s, r) => s + r.fee, 0n)
    const status = await t.user.client.fundingStatus(t.provider.providerAddress)
    expect(status.unsettledSource).toBe("provider")
    expect(status.claimedUnsettledFee).toBe(ours)
    expect(t.provider.unsettledFee(t.user.address)).toBe(ours)
    // And the plan mattered: flat on-chain prices would have recorded a different sum.
    const flat = records.reduce(
      (s, r) => s + brokerFee(flatPlan(t.provider.inputPrice, t.provider.outputPrice), r).fee,
      0n,
    )
    expect(flat).not.toBe(ours)
  })

  it("a refused request (unknown model) is billed by neither side", async () => {
    const before = t.provider.unsettledFee(t.user.address)
    const spent = t.user.client.usage().total.fee
    await expect(
      t.openai.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toThrow()
    expect(t.provider.unsettledFee(t.user.address)).toBe(before)
    expect(t.user.client.usage().total.fee).toBe(spent)
  })
})
