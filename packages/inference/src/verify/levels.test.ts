/**
 * The broker's canonical JSON form and the signed-text forms: the client's `canonicalJson` against the devnet's
 * independent re-implementation of Go's encoder (written character by character from encoding/json's rules), and
 * the parsing of `sha256:sha256` and routing-proof texts.
 */
import { goMarshal } from "@0g-compute/devnet"
import { describe, expect, it } from "vitest"
import { canonicalJson } from "../fetch/canonical.js"
import { parseSignedText, signatureKey } from "./levels.js"

const H = "a".repeat(64)
const R = "b".repeat(64)
const F = "c".repeat(64)

describe("canonicalJson", () => {
  it("writes what Go's json.Marshal of the decoded map writes, for awkward strings, numbers and key orders", () => {
    const samples: unknown[] = [
      { z: 1, a: [{ y: true, b: null }], m: "x" },
      { s: "<script>&amp;</script>", t: "line\u2028sep\u2029", c: '\b\f\n\r\t\u0001\u001f"\\' },
      { n: [0, -1, 1.5, 1e21, 1e-7, 123456789012345680000, 0.1, 2 ** 53 + 2] },
      { é: 1, e: 2, "\u{1f600}": 3, "\uffff": 4, E: 5 },
      { emoji: "😀 ok", nested: { b: { d: 1, c: 2 }, a: [] } },
      JSON.parse('{"__proto__":{"x":1},"a":2}'),
    ]
    for (const v of samples) {
      const c = canonicalJson(v)
      expect(c.exact).toBe(true)
      expect(c.text).toBe(goMarshal(v, true))
      // A fixed point: decoding and re-encoding changes nothing.
      expect(canonicalJson(JSON.parse(c.text)).text).toBe(c.text)
    }
  })

  it("flags a lone surrogate, which Go would re-encode as U+FFFD", () => {
    const c = canonicalJson({ s: "a\ud800b" })
    expect(c.exact).toBe(false)
    expect(c.text).not.toBe(goMarshal({ s: "a\ud800b" }, true))
  })
})

describe("signed texts", () => {
  it("reads sha256:sha256 and the centralized routing proof; anything else is Other", () => {
    expect(parseSignedText(`${H}:${R}`)).toEqual({ _tag: "Hashes", request: H, response: R })
    expect(parseSignedText(`${H}:${R}:centralized:openai:${F}`)).toEqual({
      _tag: "Routing",
      request: H,
      response: R,
      routing: { providerType: "centralized", providerIdentity: "openai", tlsCertFingerprint: F },
    })
    expect(parseSignedText(`${H}:${R}:centralized:openai:nothex`)).toEqual({ _tag: "Other" })
    expect(parseSignedText(`${H}:${R}:extra`)).toEqual({ _tag: "Other" })
    expect(parseSignedText("hello")).toEqual({ _tag: "Other" })
  })

  it("reads an image signature (signImageResponse): one hash per decoded image, comma-separated", () => {
    expect(parseSignedText(`${H}:${R},${F}`)).toEqual({ _tag: "Images", request: H, images: [R, F] })
    expect(parseSignedText(`${H}:${R},nothex`)).toEqual({ _tag: "Other" })
    // One image reads as the plain form; the verifier accepts it against the image's hash or the body's.
    expect(parseSignedText(`${H}:${R}`)._tag).toBe("Hashes")
  })

  it("asks for a broker-signed response under its chat key, a separated TEE's under its own id", () => {
    const key = "0d6f3c1e-0000-4000-8000-000000000001"
    expect(signatureKey({ brokerSigned: true }, key, "chatcmpl-other")).toBe(key)
    expect(signatureKey({ brokerSigned: true }, undefined, `chatcmpl-${key}`)).toBe(key)
    expect(signatureKey({ brokerSigned: false }, undefined, "chatcmpl-upstream")).toBe("chatcmpl-upstream")
    expect(signatureKey({ brokerSigned: true }, undefined, undefined)).toBeUndefined()
  })
})
