/**
 * An incremental scanner over a chat-completions SSE byte stream. It forwards complete events as soon as they arrive
 * and holds back the terminal event — `data: [DONE]` or an error event — and anything after it, so the verdict can be
 * delivered before the consumer sees the stream end. On the side it collects what billing needs: the first chunk's id
 * and model, the last non-null `usage`, and the generated text's word count (the provider's fallback without usage).
 */

const EMPTY: Uint8Array<ArrayBufferLike> = new Uint8Array(0)
const decoder = new TextDecoder()

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  if (a.length === 0) return b
  if (b.length === 0) return a
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/** Index just past the blank line ending the event that starts at `from`, or -1 when incomplete. */
const eventEnd = (buf: Uint8Array, from: number): number => {
  for (let i = from; i < buf.length - 1; i++) {
    if (buf[i] !== 10) continue
    if (buf[i + 1] === 10) return i + 2
    if (buf[i + 1] === 13 && buf[i + 2] === 10) return i + 3
  }
  return -1
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

export interface TokenUsage {
  readonly promptTokens: number
  readonly completionTokens: number
}

const count = (v: unknown): number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0
    ? v
    : typeof v === "string" && /^\d+$/.test(v)
      ? Number(v)
      : 0

export const usageOf = (u: unknown): TokenUsage | undefined =>
  isObject(u) ? { promptTokens: count(u.prompt_tokens), completionTokens: count(u.completion_tokens) } : undefined

export const wordCount = (text: string): number => text.split(/\s+/).filter((w) => w.length > 0).length

export class SseScanner {
  private pending: Uint8Array<ArrayBufferLike> = EMPTY
  private readonly heldParts: Uint8Array[] = []
  /** `data: [DONE]` was seen. */
  done = false
  /** The message of an error event, if the provider sent one. */
  error: string | undefined
  id: string | undefined
  model: string | undefined
  usage: TokenUsage | undefined
  private words = 0

  /** Feeds one chunk as received; returns the bytes that may be forwarded now. */
  push(chunk: Uint8Array): Uint8Array {
    if (this.done || this.error !== undefined) {
      this.heldParts.push(chunk)
      return EMPTY
    }
    const buf = concat(this.pending, chunk)
    let start = 0
    for (;;) {
      const end = eventEnd(buf, start)
      if (end < 0) break
      if (this.inspect(buf.subarray(start, end))) {
        this.heldParts.push(buf.subarray(start))
        this.pending = EMPTY
        return buf.subarray(0, start)
      }
      start = end
    }
    this.pending = buf.subarray(start)
    return buf.subarray(0, start)
  }

  /** Everything not yet forwarded: the terminal event and what followed it, or an incomplete trailing event. */
  held(): Uint8Array {
    let out = EMPTY
    for (const p of this.heldParts) out = concat(out, p)
    return concat(out, this.pending)
  }

  /** Word count of the generated text (only meaningful without `usage`). */
  get generatedWords(): number {
    return this.words
  }

  /** Reads one complete event; true when it is terminal ([DONE] or an error) and must be held back. */
  private inspect(event: Uint8Array): boolean {
    const text = decoder.decode(event)
    let data = ""
    for (const line of text.split("\n")) {
      const l = line.endsWith("\r") ? line.slice(0, -1) : line
      if (l.startsWith("data:")) data += (data === "" ? "" : "\n") + l.slice(l.startsWith("data: ") ? 6 : 5)
    }
    const payload = data.trim()
    if (payload === "") return false
    if (payload === "[DONE]") {
      this.done = true
      return true
    }
    let json: unknown
    try {
      json = JSON.parse(payload)
    } catch {
      return false
    }
    if (!isObject(json)) return false
    if (json.error !== undefined && json.error !== null) {
      const e = json.error
      this.error =
        isObject(e) && typeof e.message === "string" ? e.message : typeof e === "string" ? e : JSON.stringify(e)
      return true
    }
    if (this.id === undefined && typeof json.id === "string") this.id = json.id
    if (this.model === undefined && typeof json.model === "string") this.model = json.model
    const u = usageOf(json.usage)
    if (u !== undefined) this.usage = u
    if (Array.isArray(json.choices)) {
      for (const c of json.choices) {
        const content = isObject(c) && isObject(c.delta) ? c.delta.content : undefined
        if (typeof content === "string") this.words += wordCount(content)
      }
    }
    return false
  }
}
