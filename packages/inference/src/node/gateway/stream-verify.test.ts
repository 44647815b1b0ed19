/**
 * Gateway streaming against the devnet's tampering fault (a response byte flipped after signing), in both modes:
 * "buffer" holds the stream until verified (a tampered stream sends no byte of it; a second provider answers
 * instead), "pass-through" relays as it arrives and marks the verdict in a last chunk and the `x-zg-verified` trailer.
 */
import { describe, expect, it } from "vitest"
import { useTestDevnet } from "../../testing/fixture.js"
import { gatewayOpenAI, rawPost, streamedText } from "../../testing/gateway.js"
import type { Gateway, GatewayOptions } from "./server.js"

const t = useTestDevnet({ inferenceProviders: 2, ledger: "20", acknowledge: { fund: "3" } })
const p1 = () => t.at(1)

const withGateway = (options: Partial<GatewayOptions>, body: (g: Gateway) => Promise<void>) =>
  t.withGateway({ cooldownMs: 0, ...options }, body)

/** A streamed chat over node:http (fetch does not expose trailers). */
const streamChat = (g: Gateway, content: string) =>
  rawPost(g, { "content-type": "application/json" }, (req) =>
    req.write(JSON.stringify({ model: "devnet-echo-1", messages: [{ role: "user", content }], stream: true })),
  )

const events = (sse: string) =>
  sse
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice(6))
const text = (sse: string) =>
  events(sse)
    .filter((e) => e !== "[DONE]")
    .map((e) => JSON.parse(e) as { choices?: Array<{ delta?: { content?: string } }> })
    .map((c) => c.choices?.[0]?.delta?.content ?? "")
    .join("")

/** The chunk before `[DONE]`, where the verdict goes; the stream must end with `[DONE]`. */
const verdictChunk = (sse: string): unknown => {
  const all = events(sse)
  expect(all.at(-1)).toBe("[DONE]")
  return JSON.parse(all.at(-2) as string)
}

describe("verify: buffer", () => {
  it("sends a verified stream whole, with the verdict in a header and a last chunk", async () => {
    await withGateway({ verify: "buffer" }, async (g) => {
      const r = await streamChat(g, "hold me until verified")
      expect(r.status).toBe(200)
      expect(r.headers["x-zg-verified"]).toBe("Verified")
      expect(r.headers["x-zg-verification"]).toBe("buffer")
      expect(text(r.body)).toBe("Echo: hold me until verified")
      expect(verdictChunk(r.body)).toMatchObject({
        choices: [],
        x_zg_verification: { verdict: "Verified" },
      })
    })
  })

  it("a tampered stream never reaches the client: an error response carrying no byte of it", async () => {
    t.provider.faults.set({ flipResponseByte: true })
    try {
      await withGateway({ verify: "buffer" }, async (g) => {
        const r = await streamChat(g, "tampered words here")
        expect(r.status).toBe(502)
        expect(r.headers["content-type"]).toMatch(/application\/json/)
        const json = JSON.parse(r.body) as { error: { code: string; attempts: Array<{ code: string }> } }
        expect(json.error.code).toBe("NoProviderAvailable")
        expect(json.error.attempts).toEqual([expect.objectContaining({ code: "ResponseTampered" })])
        expect(r.body).not.toMatch(/words|Echo|chat\.completion\.chunk/)
        expect(g.usage().byProvider[0]).toMatchObject({ requests: 1, failed: 1 })
      })
    } finally {
      t.provider.faults.clear()
    }
  })

  it("fails over to the next provider when the first one's stream does not verify", async () => {
    t.provider.faults.set({ flipResponseByte: true })
    try {
      await withGateway(
        { verify: "buffer", providers: [t.provider.providerAddress, p1().providerAddress] },
        async (g) => {
          const r = await streamChat(g, "second provider please")
          expect(r.status).toBe(200)
          expect(r.headers["x-zg-provider"]).toBe(p1().providerAddress)
          expect(text(r.body)).toBe("Echo: second provider please")
        },
      )
    } finally {
      t.provider.faults.clear()
    }
  })
})

describe("verify: pass-through", () => {
  it("marks the verdict in a last chunk before [DONE] and in the x-zg-verified trailer", async () => {
    await withGateway({ verify: "pass-through" }, async (g) => {
      const r = await streamChat(g, "as it comes")
      expect(r.headers["x-zg-verification"]).toBe("pass-through")
      expect(r.headers["x-zg-verified"]).toBeUndefined()
      expect(r.trailers["x-zg-verified"]).toBe("Verified")
      expect(r.trailers["x-zg-verification-level"]).toBe("bytes-bound")
      expect(text(r.body)).toBe("Echo: as it comes")
      expect(verdictChunk(r.body)).toMatchObject({
        x_zg_verification: { verdict: "Verified", level: "bytes-bound", provider: t.provider.providerAddress },
      })
      // The official client skips the verdict chunk (no choices) and reads the text as usual.
      expect(await streamedText(gatewayOpenAI(g), "official client")).toBe("Echo: official client")
    })
  })

  it("a tampered stream ends with an error event instead of [DONE], and the trailer names the failure", async () => {
    t.provider.faults.set({ flipResponseByte: true })
    try {
      await withGateway({}, async (g) => {
        const r = await streamChat(g, "tampered as it comes")
        expect(r.status).toBe(200)
        expect(r.trailers["x-zg-verified"]).toBe("ResponseTampered")
        const all = events(r.body)
        expect(all).not.toContain("[DONE]")
        expect(JSON.parse(all.at(-1) as string)).toMatchObject({ error: { code: "ResponseTampered" } })
        expect(r.body).not.toMatch(/x_zg_verification/)
      })
    } finally {
      t.provider.faults.clear()
    }
  })
})
