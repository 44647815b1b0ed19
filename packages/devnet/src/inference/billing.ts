/**
 * Billing (inference-protocol.md §6.1): usage from the response the client received, prices from the chain, and the
 * per-user ledger of unsettled request fees that `unsettledfee` reports and settlement drains.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib"
import { type BrokerUsage, brokerResponseFormat, brokerUsage, isRecord, parseJsonRecord } from "@0g-compute/core"

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

const toUsage = (u: BrokerUsage): Usage => ({
  promptTokens: u.promptTokens,
  completionTokens: u.completionTokens,
  cachedTokens: u.cachedTokens,
  cacheWriteTokens: u.cacheWriteTokens,
  cacheWrite1hTokens: u.cacheWrite1hTokens,
})

/** Go's `bytes.TrimPrefix(line, "data: ")`, as the broker trims every line (and a non-stream body) before decoding. */
const trimData = (line: string) => (line.startsWith("data: ") ? line.slice(6) : line)

/** The generated text of one JSON text's choices; undefined when it is not JSON. */
const contentOf = (payload: string, key: "delta" | "message"): string | undefined => {
  try {
    const json: unknown = JSON.parse(payload)
    if (!isRecord(json) || !Array.isArray(json.choices)) return ""
    let content = ""
    for (const c of json.choices) {
      const part = isRecord(c) && isRecord(c[key]) ? c[key].content : undefined
      if (typeof part === "string") content += part
    }
    return content
  } catch {
    return undefined
  }
}

/**
 * Usage of a response body as the broker reads it (chatbot.go), each JSON text decoded as Go decodes it (core's
 * `brokerUsage`: keys in any case, repeated usage objects merged, int64 counts). Non-stream: the body, `data: `
 * trimmed. Stream: line by line up to `data: [DONE]` (comment lines skipped, bare JSON lines read too), the last
 * usage that is not all zero. Without one, the completion is the word count of the generated text and the prompt 0.
 */
export const extractUsage = (body: Uint8Array, stream: boolean, contentEncoding?: string): Usage => {
  let text: string
  try {
    text = decode(body, contentEncoding)
  } catch {
    return { promptTokens: 0n, completionTokens: 0n }
  }
  if (!stream) {
    const payload = trimData(text)
    // detectResponseFormat: a body with `type` and `content` is an Anthropic (LiteLLM) answer, billed by its usage.
    const format = brokerResponseFormat(parseJsonRecord(text))
    const u = brokerUsage(payload, undefined, format)
    if (u !== undefined) return toUsage(u)
    // Not JSON: bill the words of the body.
    return { promptTokens: 0n, completionTokens: BigInt(wordCount(contentOf(payload, "message") ?? text)) }
  }
  let usage: Usage | undefined
  let content = ""
  for (const line of text.split("\n")) {
    if (line === "data: [DONE]") break
    if (line === "" || line.startsWith(":")) continue
    const payload = trimData(line)
    const u = brokerUsage(payload)
    // extractUsageFromLine: an all-zero `usage` (e.g. `usage:{}`) never overwrites one seen before.
    if (u !== undefined && (u.promptTokens !== 0n || u.completionTokens !== 0n || u.totalTokens !== 0n)) {
      usage = toUsage(u)
      continue
    }
    content += contentOf(payload, "delta") ?? ""
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
