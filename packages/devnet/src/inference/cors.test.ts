/** The emulated provider's CORS answers, as the broker's middleware gives them (pure: no server needed). */
import type { IncomingMessage } from "node:http"
import { describe, expect, it } from "vitest"
import { corsHeaders } from "./http.js"

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage

describe("corsHeaders", () => {
  it("reflects a browser origin with credentials and allows only the broker's request headers", () => {
    const h = corsHeaders(
      request({ origin: "http://app.example", "access-control-request-headers": "authorization,x-stainless-os" }),
    )
    expect(h["access-control-allow-origin"]).toBe("http://app.example")
    expect(h["access-control-allow-credentials"]).toBe("true")
    expect(h.vary).toBe("Origin")
    const allowed = String(h["access-control-allow-headers"]).toLowerCase().split(/,\s*/)
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type"]))
    // A header the broker does not list is not granted just because the preflight asks for it.
    expect(allowed).not.toContain("x-stainless-os")
    expect(String(h["access-control-expose-headers"])).toContain("ZG-Res-Key")
  })

  it("answers a request without an Origin (not a browser) with a wildcard and no credentials", () => {
    const h = corsHeaders(request({}))
    expect(h["access-control-allow-origin"]).toBe("*")
    expect(h["access-control-allow-credentials"]).toBeUndefined()
  })
})
