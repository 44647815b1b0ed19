/**
 * Which billing plan applies to a request: the provider's published model card for the requested model (read once
 * per provider from `GET /v1/models`, kept for `ttlMs`), else the flat on-chain prices. A catalogue that cannot be
 * read never fails a request: the on-chain prices are the broker's ceiling, so the record can only over-state.
 */
import { Effect } from "effect"
import { type BillableUsage, type BillingPlan, brokerFee, type Fee, flatPlan, planFromModelCard } from "./billing.js"
import type { DirectoryShape, ModelCatalog } from "./directory.js"
import type { ServiceView } from "./service-view.js"

export const PLAN_TTL_MS = 10 * 60_000

interface Entry {
  readonly at: number
  readonly catalog: Promise<ModelCatalog | undefined>
}

/** One cache per directory (one per client), so clients never share a provider's answer. */
const books = new WeakMap<DirectoryShape, Map<string, Entry>>()

/** Reads a provider's catalogue; the adapter passes one that runs under the client's own config (fetch, limits). */
export type CatalogLoader = (provider: string) => Promise<ModelCatalog | undefined>

const defaultLoader =
  (directory: DirectoryShape): CatalogLoader =>
  (provider) =>
    Effect.runPromise(
      directory.models(provider).pipe(
        Effect.map((c): ModelCatalog | undefined => c),
        Effect.orElseSucceed(() => undefined),
      ),
    )

const catalogOf = (directory: DirectoryShape, provider: string, now: number, ttlMs: number, load: CatalogLoader) => {
  let book = books.get(directory)
  if (book === undefined) {
    book = new Map()
    books.set(directory, book)
  }
  const key = provider.toLowerCase()
  const hit = book.get(key)
  if (hit !== undefined && now - hit.at < ttlMs) return hit.catalog
  const catalog = load(provider).catch(() => undefined)
  book.set(key, { at: now, catalog })
  return catalog
}

/** The plan for `model` from a catalogue (pure): the model's entry, or the only entry of a single-model provider. */
export const planFromCatalog = (
  service: Pick<ServiceView, "model" | "inputPrice" | "outputPrice">,
  catalog: ModelCatalog | undefined,
  model: string,
): BillingPlan => {
  const onChain = { inputPrice: service.inputPrice.perToken, outputPrice: service.outputPrice.perToken }
  const flat = flatPlan(onChain.inputPrice, onChain.outputPrice)
  if (catalog === undefined || catalog.source !== "provider") return flat
  const entry =
    catalog.models.find((m) => m.id === model) ??
    (catalog.multiModel ? undefined : (catalog.models.find((m) => m.id === service.model) ?? catalog.models[0]))
  if (entry === undefined) return flat
  const plan = planFromModelCard(entry.pricing, onChain)
  if (plan === undefined) return flat
  // The on-chain pair is the broker's ceiling over every model's base prices (validateModelPricing sets it to the
  // tier-adjusted max): a card above it is not believed. A USD provider bills at the live rate, which may drift
  // above the last price it pushed on chain, so its card is taken as published.
  if (catalog.priceDenomination === "USD") return plan
  const min = (a: bigint, b: bigint) => (a < b ? a : b)
  return {
    ...plan,
    inputPrice: min(plan.inputPrice, onChain.inputPrice),
    outputPrice: min(plan.outputPrice, onChain.outputPrice),
  }
}

/** The plan the provider bills `model` at (cached per provider). */
export const billingPlan = (
  directory: DirectoryShape,
  service: ServiceView,
  model: string,
  options: { readonly now?: number; readonly ttlMs?: number; readonly load?: CatalogLoader } = {},
): Promise<BillingPlan> =>
  catalogOf(
    directory,
    service.provider,
    options.now ?? Date.now(),
    options.ttlMs ?? PLAN_TTL_MS,
    options.load ?? defaultLoader(directory),
  ).then((c) => planFromCatalog(service, c, model))

/** The fee of one exchange as the provider bills it. */
export const exchangeFee = async (
  directory: DirectoryShape,
  service: ServiceView,
  model: string,
  usage: BillableUsage,
  load?: CatalogLoader,
): Promise<Fee> => brokerFee(await billingPlan(directory, service, model, load === undefined ? {} : { load }), usage)

/** Forgets what was read for a provider (e.g. after it changed its prices). */
export const forgetBillingPlans = (directory: DirectoryShape, provider?: string): void => {
  const book = books.get(directory)
  if (book === undefined) return
  if (provider === undefined) book.clear()
  else book.delete(provider.toLowerCase())
}
