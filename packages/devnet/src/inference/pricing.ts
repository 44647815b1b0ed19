/**
 * The 2026 broker's pricing, per emulated provider (0g-serving-broker `config.go` TieredPricingConfig /
 * CacheTokenBillingConfig / ModelPricingEntry; `chatbot.go` updateAccountWithUsage; `models.go` GetModels):
 *
 * - per-model prices (`modelPricing`): a multi-model provider bills each model at its own entry, and
 *   publishes one model card per entry; the on-chain prices are the fallback (the broker's ceiling);
 * - input-length tiers: the tier matched on prompt tokens scales the price pair (num/den, floored) first;
 * - cache billing: cache-read tokens at price / divisor, cache-write tokens at a premium, the 1-hour write tier
 *   falling back to the default premium; the rest at full price.
 *
 * Field names follow the broker's YAML, so a config can be copied from a real provider.
 */
import type { Usage } from "./billing.js"

export interface EmulatedTier {
  /** 0 = unbounded. */
  readonly maxInputTokens: number
  readonly inputMultiplier: number
  readonly outputMultiplier: number
  /** 0/absent = 1. */
  readonly inputMultiplierDenominator?: number
  readonly outputMultiplierDenominator?: number
}

export interface EmulatedCacheBilling {
  readonly divisor: number
  readonly writeMultiplierNumerator?: number
  readonly writeMultiplierDenominator?: number
  readonly write1hMultiplierNumerator?: number
  readonly write1hMultiplierDenominator?: number
}

export interface EmulatedModelPrice {
  readonly model: string
  /** Neuron per token. */
  readonly inputPrice: bigint
  readonly outputPrice: bigint
  /** Overrides the service-level tiers for this model. */
  readonly tiers?: ReadonlyArray<EmulatedTier>
  /** Overrides the service-level cache billing for this model. */
  readonly cacheTokenBilling?: EmulatedCacheBilling
}

/** How an emulated provider bills. Empty: flat on-chain prices (the late-2025 broker). */
export interface EmulatedBilling {
  /** Service-level input-length tiers (`tieredPricing.tiers`, enabled when non-empty). */
  readonly tiers?: ReadonlyArray<EmulatedTier>
  /** Service-level cache billing (`cacheTokenBilling`, enabled when present). */
  readonly cacheTokenBilling?: EmulatedCacheBilling
  /** Per-model prices: the provider becomes multi-model and serves exactly these models. */
  readonly modelPricing?: ReadonlyArray<EmulatedModelPrice>
}

/** The resolved prices for one request (`GetBillingPrices`). */
export interface BillingPrices {
  readonly inputPrice: bigint
  readonly outputPrice: bigint
  readonly tiers: ReadonlyArray<EmulatedTier>
  readonly cache: EmulatedCacheBilling | undefined
}

export const isMultiModel = (b: EmulatedBilling | undefined): boolean => (b?.modelPricing?.length ?? 0) > 0

/** The models a provider serves: the per-model entries, else its one on-chain model. */
export const servedModels = (b: EmulatedBilling | undefined, model: string): ReadonlyArray<string> =>
  isMultiModel(b) ? (b?.modelPricing ?? []).map((m) => m.model) : [model]

export const billingPrices = (
  b: EmulatedBilling | undefined,
  model: string,
  onChain: { readonly inputPrice: bigint; readonly outputPrice: bigint },
): BillingPrices => {
  const entry = b?.modelPricing?.find((m) => m.model === model)
  const serviceTiers = b?.tiers ?? []
  return {
    inputPrice: entry?.inputPrice ?? onChain.inputPrice,
    outputPrice: entry?.outputPrice ?? onChain.outputPrice,
    // A model's own tiers win; else the service-level ones (effectiveTiers).
    tiers: entry?.tiers !== undefined && entry.tiers.length > 0 ? entry.tiers : serviceTiers,
    cache: entry?.cacheTokenBilling ?? b?.cacheTokenBilling,
  }
}

const big = (v: number | undefined) => BigInt(v ?? 0)
const applyMultiplier = (price: bigint, num: number, den: number | undefined): bigint => {
  const d = den !== undefined && den > 0 ? den : 1
  return num === d ? price : (price * BigInt(num)) / BigInt(d)
}

/** updateAccountWithUsage: tier, then the input buckets, then the output. */
export const brokerCharge = (
  usage: Usage,
  prices: BillingPrices,
): { readonly inputFee: bigint; readonly outputFee: bigint; readonly fee: bigint } => {
  let inputPrice = prices.inputPrice
  let outputPrice = prices.outputPrice
  const prompt = usage.promptTokens
  if (prices.tiers.length > 0) {
    const tier =
      prices.tiers.find((t) => t.maxInputTokens === 0 || prompt <= BigInt(t.maxInputTokens)) ??
      (prices.tiers[prices.tiers.length - 1] as EmulatedTier)
    inputPrice = applyMultiplier(inputPrice, tier.inputMultiplier, tier.inputMultiplierDenominator)
    outputPrice = applyMultiplier(outputPrice, tier.outputMultiplier, tier.outputMultiplierDenominator)
  }
  const c = prices.cache
  const writeOn = c !== undefined && big(c.writeMultiplierNumerator) >= 1n && big(c.writeMultiplierDenominator) >= 1n
  const write1hOwn =
    c !== undefined && big(c.write1hMultiplierNumerator) >= 1n && big(c.write1hMultiplierDenominator) >= 1n
  const [wNum, wDen] = writeOn ? [big(c?.writeMultiplierNumerator), big(c?.writeMultiplierDenominator)] : [0n, 0n]
  const [hNum, hDen] = write1hOwn
    ? [big(c?.write1hMultiplierNumerator), big(c?.write1hMultiplierDenominator)]
    : [wNum, wDen]
  let cached = 0n
  let write = 0n
  let write1h = 0n
  if (c !== undefined && c.divisor >= 1) {
    cached = usage.cachedTokens ?? 0n
    if (cached > prompt) cached = prompt
    let remaining = prompt - cached
    if (wDen > 0n && (usage.cacheWriteTokens ?? 0n) > 0n) {
      write = usage.cacheWriteTokens ?? 0n
      if (write > remaining) write = remaining
      remaining -= write
    }
    if (hDen > 0n && (usage.cacheWrite1hTokens ?? 0n) > 0n) {
      write1h = usage.cacheWrite1hTokens ?? 0n
      if (write1h > remaining) write1h = remaining
    }
  }
  let inputFee = inputPrice * (prompt - cached - write - write1h)
  if (cached > 0n) inputFee += (inputPrice * cached) / BigInt(c?.divisor ?? 1)
  if (write > 0n) inputFee += (inputPrice * write * wNum) / wDen
  if (write1h > 0n) inputFee += (inputPrice * write1h * hNum) / hDen
  const outputFee = outputPrice * usage.completionTokens
  return { inputFee, outputFee, fee: inputFee + outputFee }
}

/**
 * validateModelPricing: a multi-model provider registers on chain the tier-adjusted max over its models' prices
 * (the ceiling a client may cap published cards at); otherwise the given prices.
 */
export const onChainCeiling = (
  b: EmulatedBilling | undefined,
  prices: { readonly inputPrice: bigint; readonly outputPrice: bigint },
): { readonly inputPrice: bigint; readonly outputPrice: bigint } => {
  const entries = b?.modelPricing ?? []
  if (entries.length === 0) return prices
  const max = (a: bigint, c: bigint) => (a > c ? a : c)
  let inputPrice = 0n
  let outputPrice = 0n
  for (const m of entries) {
    const tiers = m.tiers !== undefined && m.tiers.length > 0 ? m.tiers : (b?.tiers ?? [])
    inputPrice = tiers.reduce(
      (acc, t) => max(acc, applyMultiplier(m.inputPrice, t.inputMultiplier, t.inputMultiplierDenominator)),
      max(inputPrice, m.inputPrice),
    )
    outputPrice = tiers.reduce(
      (acc, t) => max(acc, applyMultiplier(m.outputPrice, t.outputMultiplier, t.outputMultiplierDenominator)),
      max(outputPrice, m.outputPrice),
    )
  }
  return { inputPrice, outputPrice }
}

/** The `pricing` block of a published model card (models.go ModelPricing). */
export const pricingCard = (prices: BillingPrices): Record<string, unknown> => {
  const card: Record<string, unknown> = {
    prompt: prices.inputPrice.toString(),
    completion: prices.outputPrice.toString(),
  }
  if (prices.tiers.length > 0) {
    card.tiered_pricing = prices.tiers.map((t) => ({
      max_input_tokens: t.maxInputTokens,
      input_multiplier: t.inputMultiplier,
      output_multiplier: t.outputMultiplier,
      ...((t.inputMultiplierDenominator ?? 1) > 1
        ? { input_multiplier_denominator: t.inputMultiplierDenominator }
        : {}),
      ...((t.outputMultiplierDenominator ?? 1) > 1
        ? { output_multiplier_denominator: t.outputMultiplierDenominator }
        : {}),
    }))
  }
  const c = prices.cache
  if (c !== undefined && c.divisor >= 1) {
    const w = (c.writeMultiplierNumerator ?? 0) >= 1 && (c.writeMultiplierDenominator ?? 0) >= 1
    const h = (c.write1hMultiplierNumerator ?? 0) >= 1 && (c.write1hMultiplierDenominator ?? 0) >= 1
    card.cache_token_billing = {
      divisor: c.divisor,
      ...(w ? { write_multiplier_numerator: c.writeMultiplierNumerator } : {}),
      ...(w ? { write_multiplier_denominator: c.writeMultiplierDenominator } : {}),
      // Published as the effective fraction: the 1-hour tier resolves to the default one when unset.
      ...(h || w
        ? { write_1h_multiplier_numerator: h ? c.write1hMultiplierNumerator : c.writeMultiplierNumerator }
        : {}),
      ...(h || w
        ? { write_1h_multiplier_denominator: h ? c.write1hMultiplierDenominator : c.writeMultiplierDenominator }
        : {}),
    }
  }
  return card
}
