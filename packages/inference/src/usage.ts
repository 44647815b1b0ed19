/**
 * `UsageMeter`: one record per billed request (the broker's fee formula over its published plan, billing.ts) and
 * aggregates per provider and per (provider, model). Listeners are told about each record (the funding loop uses
 * that to wake up early; it never runs in the request path).
 */
import { Context, Layer } from "effect"

export interface UsageRecord {
  /** Client-side request id (also returned as the `x-zg-request-id` response header). */
  readonly requestId: string
  readonly provider: string
  readonly model: string
  readonly chatId: string | undefined
  readonly stream: boolean
  readonly promptTokens: number
  readonly completionTokens: number
  /** Prompt tokens the provider reported as cache reads / cache writes (billed at their own prices). */
  readonly cachedTokens?: number
  readonly cacheWriteTokens?: number
  readonly cacheWrite1hTokens?: number
  /** The service type when not "chatbot" ("text-to-image", "image-editing", "speech-to-text"). */
  readonly serviceType?: string
  /** Image services: images billed at the output price each (delivered for a generation, requested for an edit). */
  readonly images?: number
  /** Duration-billed transcriptions: audio seconds billed (at the input price each). */
  readonly audioSeconds?: number
  readonly inputFee: bigint
  readonly outputFee: bigint
  /** What the provider bills for this request, in neuron. */
  readonly fee: bigint
  /**
   * The provider accepted the request (a 200) but its answer could not be read to the end (a deadline, a byte
   * ceiling), or it named its usage twice (the broker bills a reading of bytes we never see): it bills what it
   * generated, which is unknown here, so `fee` is only what could be counted (often 0). A budget should keep the
   * request's reserved maximum as spent.
   */
  readonly feeUnknown?: boolean
  /** "Verified"/"BindingUnknown", or the `_tag` of the failure (the provider still billed it). */
  readonly verdict: string
  /**
   * How far the exchange was verified (verify/levels.ts): "bytes-bound", "signer-bound" or "unverifiable";
   * undefined when verification failed or never ran.
   */
  readonly level?: "bytes-bound" | "signer-bound" | "unverifiable"
  /** Unix ms when the request was sent. */
  readonly startedAt: number
  /** Until the response was fully received and verified. */
  readonly durationMs: number
}

export interface UsageTotals {
  readonly requests: number
  readonly verified: number
  readonly failed: number
  readonly promptTokens: number
  readonly completionTokens: number
  readonly fee: bigint
}

export interface UsageSummary {
  readonly total: UsageTotals
  readonly byProvider: ReadonlyArray<UsageTotals & { readonly provider: string }>
  readonly byModel: ReadonlyArray<UsageTotals & { readonly provider: string; readonly model: string }>
}

export interface UsageMeterShape {
  readonly record: (r: UsageRecord) => void
  /** Records kept in memory (the most recent `limit`, default all kept). */
  readonly records: () => ReadonlyArray<UsageRecord>
  readonly summary: () => UsageSummary
  /** Σ fee of every recorded request (including ones whose verification failed: the provider billed them). */
  readonly spent: () => bigint
  /** Σ fee recorded for one provider. */
  readonly spentWith: (provider: string) => bigint
  readonly subscribe: (listener: (r: UsageRecord) => void) => () => void
}

type Totals = { -readonly [K in keyof UsageTotals]: UsageTotals[K] }

const zero = (): Totals => ({ requests: 0, verified: 0, failed: 0, promptTokens: 0, completionTokens: 0, fee: 0n })

/** In place: one record costs a few additions, not three fresh aggregate objects. */
const add = (t: Totals, r: UsageRecord, ok: boolean): void => {
  t.requests += 1
  if (ok) t.verified += 1
  else t.failed += 1
  t.promptTokens += r.promptTokens
  t.completionTokens += r.completionTokens
  t.fee += r.fee
}

/** A meter keeping at most `keep` records (aggregates always cover everything). */
export const makeUsageMeter = (keep = 100_000): UsageMeterShape => {
  // Ring buffer: once full, the oldest record is overwritten in O(1).
  const kept: UsageRecord[] = []
  let head = 0
  const total = zero()
  const byProvider = new Map<string, { provider: string; totals: Totals }>()
  const byModel = new Map<string, { provider: string; model: string; totals: Totals }>()
  const listeners = new Set<(r: UsageRecord) => void>()
  return {
    record: (r) => {
      if (kept.length < keep) kept.push(r)
      else if (keep > 0) {
        kept[head] = r
        head = (head + 1) % keep
      }
      const ok = r.verdict === "Verified" || r.verdict === "BindingUnknown"
      add(total, r, ok)
      const pk = r.provider.toLowerCase()
      let p = byProvider.get(pk)
      if (p === undefined) {
        p = { provider: r.provider, totals: zero() }
        byProvider.set(pk, p)
      }
      add(p.totals, r, ok)
      const mk = `${pk}\u0000${r.model}`
      let m = byModel.get(mk)
      if (m === undefined) {
        m = { provider: r.provider, model: r.model, totals: zero() }
        byModel.set(mk, m)
      }
      add(m.totals, r, ok)
      for (const l of listeners) l(r)
    },
    records: () => (head === 0 ? [...kept] : [...kept.slice(head), ...kept.slice(0, head)]),
    summary: () => ({
      total: { ...total },
      byProvider: [...byProvider.values()].map((p) => ({ provider: p.provider, ...p.totals })),
      byModel: [...byModel.values()].map((m) => ({ provider: m.provider, model: m.model, ...m.totals })),
    }),
    spent: () => total.fee,
    spentWith: (provider) => byProvider.get(provider.toLowerCase())?.totals.fee ?? 0n,
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

export class UsageMeter extends Context.Service<UsageMeter, UsageMeterShape>()("zg/inference/UsageMeter") {
  static readonly layer = Layer.sync(UsageMeter, () => makeUsageMeter())
}
