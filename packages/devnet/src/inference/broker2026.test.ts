/**
 * The 2026 broker emulation's pure parts: Go's json.Marshal output (golden strings from encoding/json's documented
 * rules), PrepareHTTPRequest's rewrites, and the client-facing response (sanitize.go).
 */

import { HttpFailure } from "@0g-compute/core/node"
import { describe, expect, it } from "vitest"
import { clientFacing, goMarshal, isLeakHeader, registration, rewriteRequest, signedText } from "./broker2026.js"
import type { SourceResponse } from "./model.js"

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

const source = (chunks: string[], headers: Record<string, string> = {}): SourceResponse => ({
  status: 200,
  headers,
  body: (async function* () {
    for (const c of chunks) yield bytes(c)
  })(),
  cancel: () => {},
})

const drain = async (src: SourceResponse) => {
  let out = ""
  for await (const c of src.body) out += text(c)
  return out
}

describe("goMarshal", () => {
  it("sorts keys bytewise, escapes <>& and U+2028/9 (HTML escaping on), formats float64 as Go does", () => {
    expect(goMarshal({ b: 1, a: ["x<y>&z"] }, true)).toBe('{"a":["x\\u003cy\\u003e\\u0026z"],"b":1}')
    expect(goMarshal({ s: "x<y\u2028" }, false)).toBe('{"s":"x<y\\u2028"}')
    expect(goMarshal([1e21, 1e-7, 123456789, 0.000001, -0, 1.5], true)).toBe("[1e+21,1e-7,123456789,0.000001,-0,1.5]")
    expect(goMarshal('\u0000\u001f\n\t\b\f\u007f"\\', true)).toBe('"\\u0000\\u001f\\n\\t\\b\\f\u007f\\"\\\\"')
    expect(goMarshal("a\ud800", true)).toBe('"a\\ufffd"')
  })
})

describe("rewriteRequest", () => {
  const mode = {}
  it("EnsureStreamOptions: adds include_usage and re-encodes; leaves a present include_usage (even false) alone", () => {
    const raw = bytes('{"stream":true, "model":"m"}')
    expect(text(rewriteRequest(mode, "m", raw, JSON.parse(text(raw))).forwarded)).toBe(
      '{"model":"m","stream":true,"stream_options":{"include_usage":true}}',
    )
    const off = bytes('{"stream":true, "stream_options":{"include_usage":false}}')
    expect(rewriteRequest(mode, "m", off, JSON.parse(text(off))).forwarded).toBe(off)
    const plain = bytes('{"z":1, "a":2}')
    expect(rewriteRequest(mode, "m", plain, JSON.parse(text(plain))).forwarded).toBe(plain)
  })

  it("EnforceConfiguredModel: separated types always re-encode, map to the upstream id, refuse another model", () => {
    const raw = bytes('{"z":"<", "model":"m"}')
    const central = { providerType: "centralized" as const }
    expect(text(rewriteRequest(central, "m", raw, JSON.parse(text(raw))).forwarded)).toBe('{"model":"m","z":"\\u003c"}')
    const mapped = rewriteRequest({ upstreamModel: "up" }, "m", raw, JSON.parse(text(raw)))
    expect(mapped.json.model).toBe("up")
    const other = bytes('{"model":"dear"}')
    expect(() => rewriteRequest(central, "m", other, JSON.parse(text(other)))).toThrow(HttpFailure)
  })
})

describe("client-facing response", () => {
  it("drops SSE comments and leak headers, strips leak fields, rewrites ids, passes [DONE]", async () => {
    const src = source(
      [
        ": OPENROUTER PROCESSING\n\n",
        'data: {"id":"gen-1","provider":"X","choices":[{"delta":{"content":"<hi>"}}]}\n\ndata: {"id":"gen-1","usa',
        'ge":{"prompt_tokens":1,"cost":2}}\n\ndata: [DONE]\n\n',
      ],
      { server: "vendor", "cf-ray": "1", "content-type": "text/event-stream" },
    )
    const out = clientFacing(src, "key", true)
    expect(Object.keys(out.headers)).toEqual(["content-type"])
    // The comment line goes; the blank separator after it stays (sanitizeStreamLine keeps empty lines).
    expect(await drain(out)).toBe(
      '\ndata: {"choices":[{"delta":{"content":"<hi>"}}],"id":"chatcmpl-key"}\n\n' +
        'data: {"id":"chatcmpl-key","usage":{"prompt_tokens":1}}\n\ndata: [DONE]\n\n',
    )
    const json = clientFacing(source(['{"id":"x","cost":1,"choices":[]}']), "k", false)
    expect(await drain(json)).toBe('{"choices":[],"id":"chatcmpl-k"}')
  })

  it("names upstream leak headers; registers and signs per provider type", () => {
    expect(
      ["Server", "Via", "x-openrouter-id", "openai-version", "anthropic-ratelimit-x", "CF-Ray"].every(isLeakHeader),
    ).toBe(true)
    expect(isLeakHeader("content-type")).toBe(false)
    expect(registration({ providerType: "standard" }).verifiability).toBe("standard")
    const central = JSON.parse(registration({ providerType: "centralized" }).additionalInfo)
    expect(central).toMatchObject({ TargetSeparated: true, TargetTeeAddress: "", ProviderType: "centralized" })
    expect(signedText({ providerType: "standard" }, "a", "b")).toBeUndefined()
    expect(signedText({ providerType: "centralized", tlsCertFingerprint: "f" }, "a", "b")).toBe(
      "a:b:centralized:openai:f",
    )
  })
})
