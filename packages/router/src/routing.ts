/**
 * Router-compatible provider selection. The request's `provider` field (`{"sort": "price"|"latency", "order":
 * [addresses], "allow_fallbacks": bool}`) is read and removed before anything is forwarded; a key's provider scope
 * filters the candidates. Health (cooldown after a failure) comes from the inference gateway's `Router`.
 */

import { isRecord } from "@0g-compute/core"
import { HttpFailure } from "@0g-compute/core/node"
import type { Prices, Router } from "@0g-compute/inference/node"
import { MEDIA_GATEWAY_ROUTES } from "@0g-compute/inference/node"
import { KeyScopeDenied } from "./errors.js"
import type { KeyInfo } from "./keys.js"

export interface Target {
  readonly address: string
  readonly url: string
  readonly defaultModel: string
  readonly models: ReadonlySet<string>
  readonly prices: Prices
  /** As registered on chain: "chatbot", "text-to-image", "image-editing", "speech-to-text", … */
  readonly serviceType: string
}

const MEDIA_KINDS = new Set<string>(Object.values(MEDIA_GATEWAY_ROUTES))
/** Chats go to every provider that is not an image or audio service; media routes only to their own type. */
const serves = (t: Target, kind: string) =>
  kind === "chatbot" ? !MEDIA_KINDS.has(t.serviceType) : t.serviceType === kind

export interface Preferences {
  readonly sort: "price" | "latency" | undefined
  readonly order: ReadonlyArray<string> | undefined
  readonly allowFallbacks: boolean
}

const invalid = (detail: string) =>
  new HttpFailure(400, `invalid 'provider' field: ${detail}`, {
    code: "InvalidProviderPreferences",
    extra: { param: "provider" },
  })

/** Reads and removes `provider` from the request body (in place). */
export const takePreferences = (body: Record<string, unknown>): Preferences => {
  const raw = body.provider
  delete body.provider
  if (raw === undefined || raw === null) return { sort: undefined, order: undefined, allowFallbacks: true }
  if (!isRecord(raw)) throw invalid("must be an object")
  const { sort, order, allow_fallbacks } = raw
  if (sort !== undefined && sort !== "price" && sort !== "latency") throw invalid(`sort must be "price" or "latency"`)
  if (order !== undefined && !(Array.isArray(order) && order.every((a) => typeof a === "string")))
    throw invalid("order must be an array of provider addresses")
  if (allow_fallbacks !== undefined && typeof allow_fallbacks !== "boolean")
    throw invalid("allow_fallbacks must be a boolean")
  return {
    sort,
    order: order === undefined ? undefined : (order as string[]).map((a) => a.toLowerCase()),
    allowFallbacks: allow_fallbacks !== false,
  }
}

/** Per-provider latency (time to response headers), an exponential moving average in ms. */
export class Latency {
  private readonly ewma = new Map<string, number>()
  observe(address: string, ms: number): void {
    const k = address.toLowerCase()
    const prev = this.ewma.get(k)
    this.ewma.set(k, prev === undefined ? ms : prev * 0.8 + ms * 0.2)
  }
  of(address: string): number | undefined {
    return this.ewma.get(address.toLowerCase())
  }
}

const priceOf = (t: Target) => t.prices.inputPerToken + t.prices.outputPerToken

/**
 * The providers to try, in order. Pinned addresses come first in their order; with `allow_fallbacks: false` only they
 * (or, without `order`, only the first) are tried. A provider outside the key's scope is never tried; pinning one is a
 * 403. `kind` is the service type asked for (chat by default).
 */
export const candidatesFor = (
  model: string | undefined,
  prefs: Preferences,
  key: KeyInfo,
  router: Router,
  targets: ReadonlyMap<string, Target>,
  latency: Latency,
  kind = "chatbot",
): ReadonlyArray<Target> => {
  const allowed = key.providers === undefined ? undefined : new Set(key.providers)
  for (const a of prefs.order ?? [])
    if (allowed !== undefined && !allowed.has(a))
      throw new KeyScopeDenied({ keyId: key.id, what: "provider", value: a })
  const of = (m: string | undefined) =>
    router
      .candidates(m, Date.now())
      .map((p) => targets.get(p.address.toLowerCase()))
      .filter((t): t is Target => t !== undefined && serves(t, kind))
  // An image or audio model no catalogue lists (e.g. "dall-e-3", a client default): any provider of that type.
  let list = of(model)
  if (list.length === 0 && kind !== "chatbot") list = of(undefined)
  if (allowed !== undefined) {
    const serving = list.length
    list = list.filter((t) => allowed.has(t.address.toLowerCase()))
    if (serving > 0 && list.length === 0)
      throw new KeyScopeDenied({ keyId: key.id, what: "provider", value: `any provider serving ${model ?? "auto"}` })
  }
  if (prefs.sort === "price")
    list = [...list].sort((a, b) => (priceOf(a) < priceOf(b) ? -1 : priceOf(a) > priceOf(b) ? 1 : 0))
  if (prefs.sort === "latency")
    list = [...list].sort(
      (a, b) => (latency.of(a.address) ?? Number.MAX_VALUE) - (latency.of(b.address) ?? Number.MAX_VALUE),
    )
  if (prefs.order !== undefined) {
    const rank = (t: Target) => {
      const i = prefs.order?.indexOf(t.address.toLowerCase()) ?? -1
      return i < 0 ? Number.MAX_SAFE_INTEGER : i
    }
    const pinned = list.filter((t) => rank(t) < Number.MAX_SAFE_INTEGER).sort((a, b) => rank(a) - rank(b))
    const rest = list.filter((t) => rank(t) === Number.MAX_SAFE_INTEGER)
    return prefs.allowFallbacks ? [...pinned, ...rest] : pinned
  }
  return prefs.allowFallbacks ? list : list.slice(0, 1)
}
