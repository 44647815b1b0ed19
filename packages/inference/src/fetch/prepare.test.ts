/**
 * `prepare` reads plain header objects directly (no `Headers` round trip) only when that gives exactly what `Headers`
 * would: checked against `new Headers(init)` for clean, mixed-case, duplicated, padded and non-Latin-1 inputs.
 */
import { describe, expect, it } from "vitest"
import type { ServiceView } from "../service-view.js"
import { copyHeaders, type Prepared, prepare } from "./prepare.js"

const service = { provider: "0xP", url: "http://127.0.0.1:1", model: "m" } as ServiceView
const url = `${service.url}/v1/proxy/chat/completions`

const viaHeaders = (init: HeadersInit): Record<string, string> => {
  const out: Record<string, string> = {}
  new Headers(init).forEach((v, k) => {
    // Only what a provider needs (and the broker's CORS allows) is forwarded.
    if (k === "content-type" || k === "accept" || k === "x-requested-with") out[k] = v
  })
  out["accept-encoding"] = "identity"
  return out
}

const sync = (p: Prepared | Promise<Prepared>): Prepared => {
  if (p instanceof Promise) throw new Error("expected a synchronous prepare")
  return p
}

describe("prepare", () => {
  it("reads header objects exactly as Headers would", () => {
    const inits: HeadersInit[] = [
      {},
      { "content-type": "application/json" },
      { "Content-Type": "application/json", "X-Trace": "a b", Authorization: "Bearer x", Host: "h" },
      { "content-type": "a", "Content-Type": "b" },
      { "x-pad": "  padded\t" },
      { "x-latin": "caf\u00e9" },
      { Accept: "application/json", "X-Stainless-Lang": "js", "Content-Type": "  text/plain " },
      new Headers({ "X-From-Headers": "1", authorization: "no" }),
      [["X-Pair", "1"]],
    ]
    for (const headers of inits) {
      const p = sync(prepare(service, url, { method: "POST", headers, body: "{}" }))
      expect(p.headers).toEqual(viaHeaders(headers))
    }
    expect(() => prepare(service, url, { headers: { "x-bad": "\u2713" } })).toThrow(TypeError)
    expect(() => prepare(service, url, { headers: { "bad name": "v" } })).toThrow(TypeError)
  })

  it("sends the body in the broker's canonical form, adds include_usage to streams, and refuses other URLs", async () => {
    const body = JSON.stringify({ model: "x", messages: [{ role: "user", content: "a<b & c>d\u2028" }] })
    const p = sync(prepare(service, url, { method: "post", body }))
    expect(new TextDecoder().decode(p.body)).toBe(
      '{"messages":[{"content":"a\\u003cb \\u0026 c\\u003ed\\u2028","role":"user"}],"model":"x"}',
    )
    expect({ method: p.method, model: p.model, stream: p.stream, billed: p.billed }).toEqual({
      method: "POST",
      model: "x",
      stream: false,
      billed: true,
    })
    const s = sync(prepare(service, url, { method: "POST", body: JSON.stringify({ stream: true }) }))
    expect(JSON.parse(new TextDecoder().decode(s.body))).toEqual({
      stream: true,
      stream_options: { include_usage: true },
    })
    // An explicit include_usage is left alone, even false (the broker's EnsureStreamOptions does the same).
    const off = sync(
      prepare(service, url, { method: "POST", body: '{"stream":true,"stream_options":{"include_usage":false}}' }),
    )
    expect(new TextDecoder().decode(off.body)).toBe('{"stream":true,"stream_options":{"include_usage":false}}')
    const form = await prepare(service, url, { method: "POST", body: new URLSearchParams({ a: "1" }) })
    expect(form.headers["content-type"]).toContain("application/x-www-form-urlencoded")
    expect(() => prepare(service, "http://elsewhere/v1/proxy/chat/completions", {})).toThrow(
      expect.objectContaining({ _tag: "UrlNotForProvider" }),
    )
  })

  it("hands back the provider's headers without framing or hop-by-hop ones, plus ours", () => {
    const from = new Headers([
      ["content-type", "application/json"],
      ["content-length", "3"],
      ["connection", "keep-alive"],
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
    ])
    const out = new Headers(copyHeaders(from, { "x-zg-verified": "Verified" }))
    expect(out.get("content-length")).toBeNull()
    expect(out.get("connection")).toBeNull()
    expect(out.getSetCookie()).toEqual(["a=1", "b=2"])
    expect(out.get("x-zg-verified")).toBe("Verified")
  })
})
