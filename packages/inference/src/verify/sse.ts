/**
 * An incremental scanner over a chat-completions SSE byte stream. It forwards complete events as soon as they arrive
 * and holds back the terminal event — `data: [DONE]` or an error event — and anything after it, so the verdict can be
 * delivered before the consumer sees the stream end. On the side it collects what billing needs: the first chunk's id
 * and model, the last non-null `usage`, and the generated text's word count (the provider's fallback without usage).
 */
import {
  type BrokerUsage,
  brokerResponseFormat,
  brokerUsage,
  isRecord,
  joinBytes,
  parseJsonRecord,
} from "@0g-compute/core"

const EMPTY: Uint8Array<ArrayBufferLike> = new Uint8Array(0)
const decoder = new TextDecoder()
const LF = 10
const CR = 13

export interface TokenUsage {
  readonly promptTokens: number
  readonly completionTokens: number
  /** The cache fields the broker bills (billing.ts); absent when the provider reports none. */
  readonly cachedTokens?: number
  readonly cacheWriteTokens?: number
  readonly cacheWrite1hTokens?: number
  /**
   * These counts may not be the ones the broker billed, so neither is the fee worked out from them: the answer names
   * its usage more than once (core's `BrokerUsage.ambiguous`), or the stream was cut off after them (the broker reads
   * on and bills the last usage it reads).
   */
  readonly usageUncertain?: true
}

const tokensOf = (u: BrokerUsage): TokenUsage => ({
  promptTokens: Number(u.promptTokens),
  completionTokens: Number(u.completionTokens),
  ...(u.cachedTokens > 0n ? { cachedTokens: Number(u.cachedTokens) } : {}),
  ...(u.cacheWriteTokens > 0n ? { cacheWriteTokens: Number(u.cacheWriteTokens) } : {}),
  ...(u.cacheWrite1hTokens > 0n ? { cacheWrite1hTokens: Number(u.cacheWrite1hTokens) } : {}),
  ...(u.ambiguous ? { usageUncertain: true as const } : {}),
})

/** One line as the broker decodes it for billing (chatbot.go): a leading `data: ` trimmed, then Go's reading. */
const lineUsage = (line: string, parsed?: unknown): BrokerUsage | undefined =>
  brokerUsage(line.startsWith("data: ") ? line.slice(6) : line, parsed)

/**
 * The usage the broker bills a non-stream answer by (processSingleResponse): the body, `data: ` trimmed, read as Go
 * reads it (core's `brokerUsage`: keys in any case, repeated usage objects merged, int64 counts). `parsed`: the
 * body's `JSON.parse`, when the caller has it. (`parsed` of `lineUsage` is that of the line after the trim.) An
 * Anthropic-shaped body (`type` and `content`, as the broker's LiteLLM path sees it) is read by its own usage.
 */
export const bodyUsage = (text: string, parsed?: unknown): TokenUsage | undefined => {
  // detectResponseFormat looks at the body as received: an Anthropic-shaped answer is billed by its own usage.
  const u =
    brokerResponseFormat(parsed) === "anthropic"
      ? brokerUsage(text, parsed, "anthropic")
      : lineUsage(text, text.startsWith("data: ") ? undefined : parsed)
  return u === undefined ? undefined : tokensOf(u)
}

export const wordCount = (text: string): number => text.split(/\s+/).filter((w) => w.length > 0).length

/**
 * Words of text that arrives in pieces, counted as the broker counts their concatenation (`strings.Fields` of the
 * joined output): a word split across pieces (" Hel", "lo") is one word.
 */
export class WordCounter {
  count = 0
  private midWord = false
  add(piece: string): void {
    if (piece === "") return
    const n = wordCount(piece)
    this.count += this.midWord && n > 0 && !/^\s/.test(piece) ? n - 1 : n
    this.midWord = !/\s$/.test(piece)
  }
}

/**
 * Linear in the bytes pushed: each byte is looked at once to find event boundaries (the two bytes before a chunk are
 * remembered, so a boundary split across chunks is found), and an incomplete event is kept as a list of chunks that
 * is joined once, when it completes — never re-scanned or re-copied per chunk.
 */
export class SseScanner {
  /** Chunks (or their tails) of the event in progress, not forwarded yet. */
  private pending: Uint8Array[] = []
  private pendingLength = 0
  /** The last two bytes seen, for a blank line split across chunks. */
  private prev1 = -1
  private prev2 = -1
  private readonly heldParts: Uint8Array[] = []
  /** `data: [DONE]` was seen. */
  done = false
  /** The message of an error event, if the provider sent one. */
  error: string | undefined
  /** An event grew past the cap; nothing more is scanned. */
  overflow = false
  id: string | undefined
  model: string | undefined
  usage: TokenUsage | undefined
  private readonly words = new WordCounter()

  /** @param maxEventBytes largest event accepted (default: no cap). */
  constructor(private readonly maxEventBytes = Number.POSITIVE_INFINITY) {}

  /** Feeds one chunk as received; returns the bytes that may be forwarded now. */
  push(chunk: Uint8Array): Uint8Array {
    if (this.done || this.error !== undefined || this.overflow) {
      this.heldParts.push(chunk)
      return EMPTY
    }
    /** A completed event that began in earlier chunks (joined once), forwarded ahead of this chunk's range. */
    let joined: Uint8Array | undefined
    /** This chunk's bytes from `from` to `start` are complete events to forward. */
    let from = 0
    /** Start in `chunk` of the first byte not yet part of a complete event. */
    let start = 0
    for (let i = chunk.indexOf(LF); i >= 0; i = chunk.indexOf(LF, i + 1)) {
      // Only bytes of the event in progress count: those of this chunk since `start`, before it the remembered two.
      const b1 = i - 1 >= start ? (chunk[i - 1] as number) : start > 0 ? -1 : i === 0 ? this.prev1 : -1
      if (b1 !== LF) {
        if (b1 !== CR) continue
        const b2 = i - 2 >= start ? (chunk[i - 2] as number) : start > 0 ? -1 : i === 1 ? this.prev1 : this.prev2
        if (b2 !== LF) continue
      }
      // A blank line ends the event at i + 1.
      const end = i + 1
      let event: Uint8Array
      if (this.pendingLength > 0) {
        this.pending.push(chunk.subarray(0, end))
        event = joinBytes(this.pending, this.pendingLength + end)
        this.pending = []
        this.pendingLength = 0
        joined = event
        from = end
      } else event = chunk.subarray(start, end)
      this.prev1 = -1
      this.prev2 = -1
      if (this.inspect(event)) {
        this.heldParts.push(event === joined ? event : chunk.subarray(start, end), chunk.subarray(end))
        return this.forward(joined === event ? undefined : joined, chunk, from, start)
      }
      start = end
    }
    const rest = chunk.subarray(start)
    if (rest.length > 0) {
      this.pending.push(rest)
      this.pendingLength += rest.length
      this.prev2 = rest.length >= 2 ? (rest[rest.length - 2] as number) : this.prev1
      this.prev1 = rest[rest.length - 1] as number
      if (this.pendingLength > this.maxEventBytes) this.overflow = true
    }
    return this.forward(joined, chunk, from, start)
  }

  /** `joined` (if any) then `chunk[from, to)`: zero-copy unless an event spanned chunks. */
  private forward(joined: Uint8Array | undefined, chunk: Uint8Array, from: number, to: number): Uint8Array {
    if (joined === undefined) return to > from ? chunk.subarray(from, to) : EMPTY
    if (to <= from) return joined
    return joinBytes([joined, chunk.subarray(from, to)], joined.length + to - from)
  }

  /** Everything not yet forwarded: the terminal event and what followed it, or an incomplete trailing event. */
  held(): Uint8Array {
    const parts = [...this.heldParts, ...this.pending]
    return joinBytes(
      parts,
      parts.reduce((n, p) => n + p.length, 0),
    )
  }

  /** Word count of the generated text (only meaningful without `usage`). */
  get generatedWords(): number {
    return this.words.count
  }

  /** The usage of one line, unless it is all zero (extractUsageFromLine never lets that overwrite a real one). */
  private readUsage(line: string, parsed?: unknown): void {
    const u = lineUsage(line, parsed)
    if (u !== undefined && (u.promptTokens > 0n || u.completionTokens > 0n || u.totalTokens > 0n)) {
      this.usage = tokensOf(u)
    }
  }

  /**
   * Once the stream has ended: after an error event the broker still bills from every line up to `data: [DONE]`
   * (processOpenAIStream reads on), so the usage of what followed that event counts as well.
   */
  readTail(): void {
    if (this.error === undefined) return
    for (const line of decoder.decode(this.held()).split("\n")) {
      if (line === "data: [DONE]") return
      this.readUsage(line)
    }
  }

  /** Reads one complete event; true when it is terminal ([DONE] or an error) and must be held back. */
  private inspect(event: Uint8Array): boolean {
    const text = decoder.decode(event)
    const lines = text.split("\n")
    let data = ""
    for (const line of lines) {
      const l = line.endsWith("\r") ? line.slice(0, -1) : line
      if (l.startsWith("data:")) data += (data === "" ? "" : "\n") + l.slice(l.startsWith("data: ") ? 6 : 5)
    }
    const payload = data.trim()
    const json = payload === "" || payload === "[DONE]" ? undefined : parseJsonRecord(payload)
    // The broker bills a stream line by line (processOpenAIStream), each line read as Go reads it, bare JSON lines
    // included; an all-zero usage (e.g. `usage:{}` on a trailing attestation chunk) never overwrites one seen before.
    for (const line of lines) this.readUsage(line, line === `data: ${payload}` ? json : undefined)
    if (payload === "") return false
    if (payload === "[DONE]") {
      this.done = true
      return true
    }
    if (json === undefined) return false
    if (json.error !== undefined && json.error !== null) {
      const e = json.error
      this.error =
        isRecord(e) && typeof e.message === "string" ? e.message : typeof e === "string" ? e : JSON.stringify(e)
      return true
    }
    if (this.id === undefined && typeof json.id === "string") this.id = json.id
    if (this.model === undefined && typeof json.model === "string") this.model = json.model
    if (Array.isArray(json.choices)) {
      for (const c of json.choices) {
        const content = isRecord(c) && isRecord(c.delta) ? c.delta.content : undefined
        if (typeof content === "string") this.words.add(content)
      }
    }
    return false
  }
}
