/**
 * The broker's fee formula (0g-serving-broker `chatbot.go` updateAccountWithUsage / computeInputFee / matchedTier,
 * `GetBillingPrices`), reproduced to the neuron, and the billing plan it applies, read from what the provider
 * publishes in `GET /v1/models` (`pricing.prompt|completion`, `tiered_pricing`, `cache_token_billing`).
 *
 * Order of operations, as the broker does it:
 * 1. the price pair: the model's own entry (multi-model providers), else the on-chain service prices;
 * 2. the input-length tier matched on `prompt_tokens` scales both prices (price × num / den, floored);
 * 3. prompt tokens split into cache-read (price × n / divisor), cache-write (price × n × num / den), 1-hour write and
 *    full-price buckets; read is clamped to the prompt first, then the writes to what is left;
 * 4. completion × output price.
 */
import { Schema } from "effect"

export interface PricingTier {
  /** Upper bound of prompt tokens for this tier; 0 = unbounded. */
  readonly maxInputTokens: number
  readonly inputNum: bigint
  readonly inputDen: bigint
  readonly outputNum: bigint
  readonly outputDen: bigint
}

export interface CacheBilling {
  /** Cache-read tokens bill at input price / divisor. */
  readonly divisor: bigint
  /** Default (5-minute) cache-write premium num/den; absent = those tokens bill at full price. */
  readonly write?: { readonly num: bigint; readonly den: bigint } | undefined
  /** 1-hour cache-write premium; absent = the default premium applies. */
  readonly write1h?: { readonly num: bigint; readonly den: bigint } | undefined
}

export interface BillingPlan {
  /** Neuron per prompt token before tiers. */
  readonly inputPrice: bigint
  /** Neuron per completion token before tiers. */
  readonly outputPrice: bigint
  readonly tiers: ReadonlyArray<PricingTier>
  /** Undefined: caching is not billed (every prompt token at full price). */
  readonly cache: CacheBilling | undefined
  /** Where the plan came from: the provider's model card, or the on-chain prices alone. */
  readonly source: "provider" | "on-chain"
}

/** The usage fields the broker bills from (`usage` of the response). */
export interface BillableUsage {
  readonly promptTokens: number
  readonly completionTokens: number
  /** `prompt_tokens_details.cached_tokens`. */
  readonly cachedTokens?: number | undefined
  /** `cache_write_tokens` (default-tier cache creation). */
  readonly cacheWriteTokens?: number | undefined
  /** `cache_write_1h_tokens`. */
  readonly cacheWrite1hTokens?: number | undefined
}

export interface Fee {
  readonly inputFee: bigint
  readonly outputFee: bigint
  readonly fee: bigint
}

/** The tier the broker bills at: the first whose bound holds (0 = unbounded), else the last. */
export const matchedTier = (tiers: ReadonlyArray<PricingTier>, promptTokens: number): PricingTier | undefined => {
  for (const t of tiers) if (t.maxInputTokens === 0 || promptTokens <= t.maxInputTokens) return t
  return tiers[tiers.length - 1]
}

const scale = (price: bigint, num: bigint, den: bigint) => (num === den ? price : (price * num) / den)
/** A usage count as the broker's int64 holds it: any whole number (usageOf admits up to 2^63), else 0. */
const n = (v: number | undefined) => BigInt(v !== undefined && Number.isInteger(v) && v > 0 ? v : 0)

/** The fee the broker records for one request with this usage. */
export const brokerFee = (plan: BillingPlan, usage: BillableUsage): Fee => {
  let inputPrice = plan.inputPrice
  let outputPrice = plan.outputPrice
  const prompt = n(usage.promptTokens)
  const tier = matchedTier(plan.tiers, usage.promptTokens)
  if (tier !== undefined) {
    inputPrice = scale(inputPrice, tier.inputNum, tier.inputDen)
    outputPrice = scale(outputPrice, tier.outputNum, tier.outputDen)
  }
  let cached = 0n
  let write = 0n
  let write1h = 0n
  const cache = plan.cache
  const writeFrac = cache?.write
  const write1hFrac = cache?.write1h ?? writeFrac
  if (cache !== undefined) {
    cached = n(usage.cachedTokens)
    if (cached > prompt) cached = prompt
    let remaining = prompt - cached
    if (writeFrac !== undefined) {
      write = n(usage.cacheWriteTokens)
      if (write > remaining) write = remaining
      remaining -= write
    }
    if (write1hFrac !== undefined) {
      write1h = n(usage.cacheWrite1hTokens)
      if (write1h > remaining) write1h = remaining
    }
  }
  let inputFee = (prompt - cached - write - write1h) * inputPrice
  if (cache !== undefined && cached > 0n) inputFee += (inputPrice * cached) / cache.divisor
  if (writeFrac !== undefined && write > 0n) inputFee += (inputPrice * write * writeFrac.num) / writeFrac.den
  if (write1hFrac !== undefined && write1h > 0n) inputFee += (inputPrice * write1h * write1hFrac.num) / write1hFrac.den
  const outputFee = n(usage.completionTokens) * outputPrice
  return { inputFee, outputFee, fee: inputFee + outputFee }
}

/** Flat pricing: what a provider without a model card (or a pre-2026 broker) bills. */
export const flatPlan = (inputPrice: bigint, outputPrice: bigint): BillingPlan => ({
  inputPrice,
  outputPrice,
  tiers: [],
  cache: undefined,
  source: "on-chain",
})

/**
 * The most one token can cost under any of `plans` (every tier, a cache-write premium on top): what a budget must
 * reserve per token so that no tier or cache write bills past the reservation. Rounded up.
 */
export const worstCasePrices = (
  plans: ReadonlyArray<BillingPlan>,
): { readonly inputPerToken: bigint; readonly outputPerToken: bigint } => {
  const up = (a: bigint, num: bigint, den: bigint) => (den <= 0n ? a : (a * num + den - 1n) / den)
  const max = (a: bigint, b: bigint) => (a > b ? a : b)
  let inputPerToken = 0n
  let outputPerToken = 0n
  for (const p of plans) {
    let input = p.inputPrice
    let output = p.outputPrice
    for (const t of p.tiers) {
      input = max(input, up(p.inputPrice, t.inputNum, t.inputDen))
      output = max(output, up(p.outputPrice, t.outputNum, t.outputDen))
    }
    const premiums = [p.cache?.write, p.cache?.write1h].filter((f) => f !== undefined)
    const top = input
    for (const f of premiums) input = max(input, up(top, f.num, f.den))
    inputPerToken = max(inputPerToken, input)
    outputPerToken = max(outputPerToken, output)
  }
  return { inputPerToken, outputPerToken }
}

// ── The model card's pricing block ─────────────────────────────────────────────────────────────────────────────────

const Int = Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)))
const Neuron = Schema.String.pipe(Schema.check(Schema.isPattern(/^\d{1,78}$/)))

/** `pricing` of a `GET /v1/models` entry (0g-serving-broker handler/models.go ModelPricing). */
export const ModelPricing = Schema.Struct({
  prompt: Schema.optionalKey(Neuron),
  completion: Schema.optionalKey(Neuron),
  tiered_pricing: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({
        max_input_tokens: Int,
        input_multiplier: Int,
        output_multiplier: Int,
        input_multiplier_denominator: Schema.optionalKey(Int),
        output_multiplier_denominator: Schema.optionalKey(Int),
      }),
    ),
  ),
  cache_token_billing: Schema.optionalKey(
    Schema.Struct({
      divisor: Int,
      write_multiplier_numerator: Schema.optionalKey(Int),
      write_multiplier_denominator: Schema.optionalKey(Int),
      write_1h_multiplier_numerator: Schema.optionalKey(Int),
      write_1h_multiplier_denominator: Schema.optionalKey(Int),
    }),
  ),
})
export type ModelPricing = typeof ModelPricing.Type

const frac = (num: number | undefined, den: number | undefined) =>
  num !== undefined && den !== undefined && num >= 1 && den >= 1 ? { num: BigInt(num), den: BigInt(den) } : undefined

/**
 * The plan a provider publishes for one model, over the on-chain prices (which a model card without its own
 * prices keeps). `undefined` when `pricing` does not decode: the caller keeps the flat on-chain plan.
 */
export const planFromModelCard = (
  pricing: unknown,
  onChain: { readonly inputPrice: bigint; readonly outputPrice: bigint },
): BillingPlan | undefined => {
  if (pricing === undefined || pricing === null) return undefined
  const decoded = Schema.decodeUnknownOption(ModelPricing)(pricing)
  if (decoded._tag === "None") return undefined
  const p = decoded.value
  const tiers = (p.tiered_pricing ?? []).map(
    (t): PricingTier => ({
      maxInputTokens: t.max_input_tokens,
      inputNum: BigInt(t.input_multiplier),
      inputDen: BigInt(
        t.input_multiplier_denominator !== undefined && t.input_multiplier_denominator > 0
          ? t.input_multiplier_denominator
          : 1,
      ),
      outputNum: BigInt(t.output_multiplier),
      outputDen: BigInt(
        t.output_multiplier_denominator !== undefined && t.output_multiplier_denominator > 0
          ? t.output_multiplier_denominator
          : 1,
      ),
    }),
  )
  const c = p.cache_token_billing
  const cache: CacheBilling | undefined =
    c !== undefined && c.divisor >= 1
      ? {
          divisor: BigInt(c.divisor),
          write: frac(c.write_multiplier_numerator, c.write_multiplier_denominator),
          write1h: frac(c.write_1h_multiplier_numerator, c.write_1h_multiplier_denominator),
        }
      : undefined
  return {
    inputPrice: p.prompt !== undefined ? BigInt(p.prompt) : onChain.inputPrice,
    outputPrice: p.completion !== undefined ? BigInt(p.completion) : onChain.outputPrice,
    tiers,
    cache,
    source: "provider",
  }
}
