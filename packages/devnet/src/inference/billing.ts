/**
 * Billing (inference-protocol.md §6.1): usage from the response the client received, prices from the chain, and the
 * per-user ledger of unsettled request fees that `unsettledfee` reports and settlement drains.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib"
import { isRecord } from "@0g-compute/core"

export interface Usage {
  readonly promptTokens: bigint
  readonly completionTokens: bigint
  /** `prompt_tokens_details.cached_tokens`, `cache_write_tokens`, `cache_write_1h_tokens` (0 when absent). */
  readonly cachedTokens?: bigint
  readonly cacheWriteTokens?: bigint
  readonly cacheWrite1hTokens?: bigint
}

export interface Fees {
  readonly inputFee: bigint
  readonly outputFee: bigint
  readonly fee: bigint
}

/** One billed request. `outstanding` starts at `fee` and shrinks when a PARTIAL settlement takes part of it. */
export interface FeeRecord {
  readonly requestHash: string
  /** Spelled as recorded (EIP-55): it is part of the settlement's requestsHash preimage. */
  readonly user: string
  readonly fee: bigint
  readonly inputFee: bigint
  readonly outputFee: bigint
  outstanding: bigint
}

/** Go's `int` (int64): the broker bills any JSON integer below 2^63 a usage field holds, not only JS-safe ones. */
const INT64_LIMIT = 2 ** 63

const count = (v: unknown): bigint => {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < INT64_LIMIT) return BigInt(v)
  if (typeof v === "string" && /^\d+$/.test(v)) return BigInt(v)
  return 0n
}

/** Whitespace-separated words: the broker's fallback when a response has no `usage`, and the emulator's tokenizer. */
export const wordCount = (text: string): number => text.split(/\s+/).filter((w) => w.length > 0).length

const decode = (bytes: Uint8Array, encoding: string | undefined): string => {
  const enc = (encoding ?? "").trim().toLowerCase()
  const raw = Buffer.from(bytes)
  const plain =
    enc === "gzip"
      ? gunzipSync(raw)
      : enc === "deflate"
        ? inflateSync(raw)
        : enc === "br"
          ? brotliDecompressSync(raw)
          : raw
  return plain.toString("utf8")
}

const usageOf = (u: unknown): Usage | undefined =>
  isRecord(u)
    ? {
        promptTokens: count(u.prompt_tokens),
        completionTokens: count(u.completion_tokens),
        cachedTokens: isRecord(u.prompt_tokens_details) ? count(u.prompt_tokens_details.cached_tokens) : 0n,
        cacheWriteTokens: count(u.cache_write_tokens),
        cacheWrite1hTokens: count(u.cache_write_1h_tokens),
      }
    : undefined

/**
 * Usage of a response body: non-stream from the JSON `usage`; stream from the last SSE chunk with a non-null
 * `usage`. Without one, the completion is the word count of the generated text and the prompt is 0.
 */
export const extractUsage = (body: Uint8Array, stream: boolean, contentEncoding?: string): Usage => {
  let text: string
  try {
    text = decode(body, contentEncoding)
  } catch {
    return { promptTokens: 0n, completionTokens: 0n }
  }
  let usage: Usage | undefined
  let content = ""
  const visit = (json: unknown, key: "delta" | "message") => {
    if (!isRecord(json)) return
    const u = usageOf(json.usage)
    // extractUsageFromLine: an all-zero stream `usage` (e.g. `usage:{}`) never overwrites one seen before.
    const zero =
      u !== undefined &&
      u.promptTokens === 0n &&
      u.completionTokens === 0n &&
      count(json.usage && (json.usage as Record<string, unknown>).total_tokens) === 0n
    usage = (key === "delta" && zero ? undefined : u) ?? usage
    if (Array.isArray(json.choices)) {
      for (const c of json.choices) {
        const part = isRecord(c) && isRecord(c[key]) ? c[key].content : undefined
        if (typeof part === "string") content += ` ${part}`
      }
    }
  }
  if (stream) {
    for (const line of text.split("\n")) {
      const t = line.trim()
      if (!t.startsWith("data:")) continue
      const payload = t.slice(5).trim()
      if (payload === "[DONE]") continue
      try {
        visit(JSON.parse(payload), "delta")
      } catch {
        // not JSON: no usage in it
      }
    }
  } else {
    try {
      visit(JSON.parse(text), "message")
    } catch {
      // not JSON: bill the words
      content = text
    }
  }
  return usage ?? { promptTokens: 0n, completionTokens: BigInt(wordCount(content)) }
}

export const computeFees = (usage: Usage, inputPrice: bigint, outputPrice: bigint): Fees => {
  const inputFee = usage.promptTokens * inputPrice
  const outputFee = usage.completionTokens * outputPrice
  return { inputFee, outputFee, fee: inputFee + outputFee }
}

/** Unsettled fees per user, oldest first. */
export class FeeLedger {
  private readonly byUser = new Map<string, FeeRecord[]>()

  /** Records a billed request; fee 0 is never settled (the broker prunes it), so it is not kept. */
  add(record: Omit<FeeRecord, "outstanding">): void {
    if (record.fee === 0n) return
    const key = record.user.toLowerCase()
    const list = this.byUser.get(key) ?? []
    list.push({ ...record, outstanding: record.fee })
    this.byUser.set(key, list)
  }

  unsettled(user: string): bigint {
    let sum = 0n
    for (const r of this.byUser.get(user.toLowerCase()) ?? []) sum += r.outstanding
    return sum
  }

  /** A snapshot: user (as recorded) → its records, oldest first. */
  pending(): ReadonlyArray<{ readonly user: string; readonly records: ReadonlyArray<FeeRecord> }> {
    const out: Array<{ user: string; records: FeeRecord[] }> = []
    for (const records of this.byUser.values()) {
      const first = records[0]
      if (first !== undefined) out.push({ user: first.user, records: [...records] })
    }
    return out
  }

  /**
   * Applies a settled amount to `records` (the ones a settlement covered, oldest first): whole records are removed
   * while the amount covers them; a record it only partly covers keeps the rest as `outstanding`.
   */
  applySettled(user: string, records: ReadonlyArray<FeeRecord>, amount: bigint): void {
    let left = amount
    const done = new Set<FeeRecord>()
    for (const r of records) {
      if (left <= 0n) break
      const take = r.outstanding < left ? r.outstanding : left
      r.outstanding -= take
      left -= take
      if (r.outstanding === 0n) done.add(r)
    }
    const key = user.toLowerCase()
    const remaining = (this.byUser.get(key) ?? []).filter((r) => !done.has(r))
    if (remaining.length === 0) this.byUser.delete(key)
    else this.byUser.set(key, remaining)
  }
}
