/**
 * Usage read as the broker's Go decoder reads it (core's `brokerUsage`, used by the SSE scanner and the non-stream
 * path): the JSON texts an upstream could send so that `JSON.parse` sees other counts than the broker bills.
 */
import { brokerUsage } from "@0g-compute/core"
import { describe, expect, it } from "vitest"
import { choiceWords } from "../fetch/exchange-parts.js"
import { bodyUsage, SseScanner } from "./sse.js"

const enc = new TextEncoder()
const counts = (text: string) => {
  const u = brokerUsage(text)
  return u === undefined ? undefined : [u.promptTokens, u.completionTokens, u.ambiguous]
}

describe("brokerUsage: Go's encoding/json into CompletionChunk.Usage", () => {
  it("matches keys in any case, through escapes and Go's folds (ſ → S, K → K)", () => {
    expect(counts('{"USAGE":{"Prompt_Tokens":3,"COMPLETION_TOKENS":4}}')).toEqual([3n, 4n, false])
    expect(counts('{"us\\u0061ge":{"completion_tokens":5}}')).toEqual([0n, 5n, false])
    expect(counts('{"uſage":{"prompt_to\u212Aens":6}}')).toEqual([6n, 0n, false])
    expect(counts('{"usages":{"completion_tokens":5}}')).toBeUndefined()
  })

  it("merges a repeated usage object into the first (marked ambiguous); null resets it", () => {
    expect(counts('{"usage":{"completion_tokens":1000},"usage":{"prompt_tokens":1}}')).toEqual([1n, 1000n, true])
    expect(counts('{"usage":{"completion_tokens":1,"Completion_Tokens":9}}')).toEqual([0n, 9n, true])
    expect(counts('{"usage":{"completion_tokens":1000},"usage":null}')).toBeUndefined()
    expect(counts('{"usage":null}')).toBeUndefined()
  })

  it("reads Go ints exactly (below 2^63); a number or value Go refuses fails the whole reading", () => {
    expect(brokerUsage('{"usage":{"completion_tokens":9223372036854775807}}')?.completionTokens).toBe(2n ** 63n - 1n)
    for (const v of ["9223372036854775808", "1.0", "1e3", '"12"', "true", "[1]"]) {
      expect(brokerUsage(`{"usage":{"completion_tokens":${v}}}`)).toBeUndefined()
    }
    expect(counts('{"usage":{"completion_tokens":null,"prompt_tokens":-4}}')).toEqual([0n, 0n, false])
    expect(brokerUsage('{"usage":"lots"}')).toBeUndefined()
    expect(brokerUsage('[{"usage":{"completion_tokens":1}}]')).toBeUndefined()
    expect(brokerUsage('{"usage":{"completion_tokens":1}')).toBeUndefined()
  })

  it("skips other members whatever they hold (strings with quotes and braces, deep nesting) without a crash", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`
    const text = `{"choices":[{"message":{"content":"a \\"}{\\\\"}}],"x":${deep},"usage":{"completion_tokens":7}}`
    expect(counts(text)).toEqual([0n, 7n, false])
    expect(counts('{"prompt_tokens_details":{},"usage":{"prompt_tokens_details":{"CACHED_TOKENS":2}}}')).toEqual([
      0n,
      0n,
      false,
    ])
    expect(brokerUsage('{"usage":{"prompt_tokens_details":{"cached_tokens":2}}}')?.cachedTokens).toBe(2n)
  })
})

describe("an Anthropic-shaped body (the broker's LiteLLM path)", () => {
  it("is detected by `type` and `content`, and its disjoint input/cache buckets sum to the prompt", () => {
    const text =
      '{"type":"message","content":[],"usage":{"input_tokens":10,"cache_read_input_tokens":5,' +
      '"cache_creation_input_tokens":7,"cache_creation":{"ephemeral_1h_input_tokens":7},"output_tokens":20}}'
    expect(bodyUsage(text, JSON.parse(text))).toEqual({
      promptTokens: 22,
      completionTokens: 20,
      cachedTokens: 5,
      cacheWrite1hTokens: 7,
    })
    // Without both keys it is an OpenAI answer: Anthropic's field names bill nothing there.
    const openai = '{"content":[],"usage":{"input_tokens":10,"output_tokens":20}}'
    expect(bodyUsage(openai, JSON.parse(openai))).toEqual({ promptTokens: 0, completionTokens: 0 })
  })
})

describe("the SSE scanner and the non-stream body read usage as the broker bills it", () => {
  const scan = (text: string) => {
    const s = new SseScanner()
    s.push(enc.encode(text))
    return s.usage
  }

  it("a bare JSON line (no `data: `) carrying usage is billed by the broker, so it is read", () => {
    const stream =
      'data: {"id":"c","choices":[{"delta":{"content":"hi"}}]}\n' +
      '{"usage":{"prompt_tokens":1,"completion_tokens":90000,"total_tokens":90001}}\n\n' +
      "data: [DONE]\n\n"
    expect(scan(stream)).toEqual({ promptTokens: 1, completionTokens: 90000 })
  })

  it("two data lines in one event are two lines to the broker: each one's usage counts", () => {
    const stream =
      'data: {"id":"c","choices":[]}\ndata: {"usage":{"prompt_tokens":2,"completion_tokens":70000}}\n\n' +
      "data: [DONE]\n\n"
    expect(scan(stream)).toEqual({ promptTokens: 2, completionTokens: 70000 })
  })

  it("an all-zero usage never overwrites one seen before; a body starting `data: ` is read as the broker trims it", () => {
    const stream = 'data: {"usage":{"prompt_tokens":2,"completion_tokens":3}}\n\ndata: {"usage":{}}\n\ndata: [DONE]\n\n'
    expect(scan(stream)).toEqual({ promptTokens: 2, completionTokens: 3 })
    expect(bodyUsage('data: {"usage":{"completion_tokens":8}}')).toEqual({ promptTokens: 0, completionTokens: 8 })
    expect(bodyUsage('{"Usage":{"completion_tokens":8},"usage":{"completion_tokens":1}}')).toEqual({
      promptTokens: 0,
      completionTokens: 1,
      usageUncertain: true,
    })
  })
})

describe("the word fallback (no usage) counts words as the broker counts its joined output", () => {
  it("a word split across stream chunks is one word; choices are joined without a separator", () => {
    const chunk = (content: string) => `data: ${JSON.stringify({ id: "c", choices: [{ delta: { content } }] })}\n\n`
    const s = new SseScanner()
    s.push(enc.encode([" Hel", "lo", " wor", "ld ", "again"].map(chunk).join("")))
    s.push(enc.encode("data: [DONE]\n\n"))
    expect(s.usage).toBeUndefined()
    expect(s.generatedWords).toBe(3)
    expect(choiceWords([{ message: { content: "a b" } }, { message: { content: "c d" } }])).toBe(3)
    expect(choiceWords([{ message: { content: "a b " } }, { message: { content: "c" } }])).toBe(3)
  })
})
