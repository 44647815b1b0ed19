/**
 * The SSE scanner: whatever way the bytes are chunked, everything up to the terminal event is forwarded, the
 * terminal event ([DONE] or an error event) and what follows are held back, and forwarded + held = the input.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { SseScanner } from "./sse.js"

const enc = new TextEncoder()
const dec = new TextDecoder()
const event = (json: unknown) => `data: ${JSON.stringify(json)}\n\n`
const body = [
  event({ id: "chatcmpl-1", model: "m", choices: [{ index: 0, delta: { role: "assistant", content: "" } }] }),
  event({ id: "chatcmpl-1", choices: [{ index: 0, delta: { content: "Echo:" } }] }),
  event({ id: "chatcmpl-1", choices: [{ index: 0, delta: { content: " hi there" } }] }),
  event({ id: "chatcmpl-1", choices: [], usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } }),
].join("")
const done = "data: [DONE]\n\n"

const split = (bytes: Uint8Array, cuts: number[]) => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const parts: Uint8Array[] = []
  let last = 0
  for (const p of [...points, bytes.length]) {
    parts.push(bytes.subarray(last, p))
    last = p
  }
  return parts
}

const run = (text: string, cuts: number[]) => {
  const s = new SseScanner()
  let forwarded = ""
  for (const part of split(enc.encode(text), cuts)) forwarded += dec.decode(s.push(part))
  return { s, forwarded, held: dec.decode(s.held()) }
}

describe("SseScanner", () => {
  it("forwards every event before [DONE] and holds [DONE] back, however the bytes are chunked", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        const { s, forwarded, held } = run(body + done, cuts)
        expect(forwarded).toBe(body)
        expect(held).toBe(done)
        expect(s.done).toBe(true)
        expect(s.id).toBe("chatcmpl-1")
        expect(s.model).toBe("m")
        expect(s.usage).toEqual({ promptTokens: 2, completionTokens: 3 })
        expect(s.generatedWords).toBe(3)
      }),
    )
  })

  it("holds back an error event and everything after it", () => {
    const error = event({ error: { message: "Internal Server Error", code: 500 } })
    const { s, forwarded, held } = run(body + error + done, [7, 100, 300])
    expect(forwarded).toBe(body)
    expect(held).toBe(error + done)
    expect(s.error).toBe("Internal Server Error")
    expect(s.done).toBe(false)
  })

  it("keeps an incomplete last event unforwarded and reports no [DONE]", () => {
    const { s, forwarded, held } = run(`${body}data: {"id":"x"`, [50])
    expect(forwarded).toBe(body)
    expect(held).toBe('data: {"id":"x"')
    expect(s.done).toBe(false)
  })

  it("understands CRLF line endings", () => {
    const crlf = (body + done).replaceAll("\n", "\r\n")
    const { s, held } = run(crlf, [3, 9])
    expect(s.done).toBe(true)
    expect(held).toBe(done.replaceAll("\n", "\r\n"))
  })

  it("finds a blank line split across chunks, byte by byte, and keeps stray line feeds in order", () => {
    const text = `${body}\n\n${done}`
    const { forwarded, held, s } = run(text, [...Array(text.length).keys()])
    expect(forwarded + held).toBe(text)
    expect(s.done).toBe(true)
  })

  it("stops at an event larger than its cap and forwards nothing of it", () => {
    const s = new SseScanner(1024)
    expect(dec.decode(s.push(enc.encode(body)))).toBe(body)
    const big = enc.encode(`data: ${"x".repeat(600)}`)
    expect(s.push(big).length).toBe(0)
    expect(s.overflow).toBe(false)
    expect(s.push(big).length).toBe(0)
    expect(s.overflow).toBe(true)
    // Once over the cap, later bytes are only held, never scanned.
    expect(s.push(enc.encode("\n\n")).length).toBe(0)
  })
})
