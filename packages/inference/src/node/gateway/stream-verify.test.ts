/**
 * Gateway streaming against the devnet's tampering fault (a response byte flipped after signing), in both modes:
 * "buffer" holds the stream until verified (a tampered stream sends no byte of it; a second provider answers
 * instead), "pass-through" relays as it arrives and marks the verdict in a last chunk and the `x-zg-verified` trailer.
 */
import { request } from "node:http"
import type { Devnet, InferenceProvider } from "@0g-compute/devnet"
import { Redacted } from "effect"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { addLedger, startTestDevnet, type TestUser, userClient } from "../../test-util/fixture.js"
import { type Gateway, type GatewayOptions, startGateway } from "./server.js"

let devnet: Devnet
let p0: InferenceProvider
let p1: InferenceProvider
let user: TestUser

beforeAll(async () => {
  devnet = await startTestDevnet({ inferenceProviders: 2 })
  ;[p0, p1] = devnet.inference as [InferenceProvider, InferenceProvider]
  user = await userClient(devnet, 0)
  await addLedger(user, "20")
  for (const p of [p0, p1]) await user.client.acknowledge(p.providerAddress, { allowDevnet: true, fund: "3" })
})
afterAll(async () => {
  await user?.close()
  await devnet?.stop()
})

const withGateway = async (options: Partial<GatewayOptions>, body: (g: Gateway) => Promise<void>) => {
  const g = await startGateway({ client: user.client, providers: [p0.providerAddress], cooldownMs: 0, ...options })
  try {
    await body(g)
  } finally {
    await g.stop()
  }
}

interface Raw {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
  readonly trailers: Record<string, string | undefined>
}

/** A streamed chat over node:http (fetch does not expose trailers). */
const streamChat = (g: Gateway, content: string) =>
  new Promise<Raw>((resolve, reject) => {
    const u = new URL(`${g.url}/v1/chat/completions`)
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        headers: { authorization: `Bearer ${Redacted.value(g.token)}`, "content-type": "application/json" },
      },
      (res) => {
        let body = ""
        res.on("data", (c: Buffer) => {
          body += c.toString()
        })
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, trailers: { ...res.trailers } }),
        )
      },
    )
    req.on("error", reject)
    req.end(JSON.stringify({ model: "devnet-echo-1", messages: [{ role: "user", content }], stream: true }))
  })

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

describe("verify: buffer", () => {
  it("sends a verified stream whole, with the verdict in a header and a last chunk", async () => {
    await withGateway({ verify: "buffer" }, async (g) => {
      const r = await streamChat(g, "hold me until verified")
      expect(r.status).toBe(200)
      expect(r.headers["x-zg-verified"]).toBe("Verified")
      expect(r.headers["x-zg-verification"]).toBe("buffer")
      expect(text(r.body)).toBe("Echo: hold me until verified")
      const all = events(r.body)
      expect(all.at(-1)).toBe("[DONE]")
      expect(JSON.parse(all.at(-2) as string)).toMatchObject({
        choices: [],
        x_zg_verification: { verdict: "Verified" },
      })
    })
  })

  it("a tampered stream never reaches the client: an error response carrying no byte of it", async () => {
    p0.faults.set({ flipResponseByte: true })
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
      p0.faults.clear()
    }
  })

  it("fails over to the next provider when the first one's stream does not verify", async () => {
    p0.faults.set({ flipResponseByte: true })
    try {
      await withGateway({ verify: "buffer", providers: [p0.providerAddress, p1.providerAddress] }, async (g) => {
        const r = await streamChat(g, "second provider please")
        expect(r.status).toBe(200)
        expect(r.headers["x-zg-provider"]).toBe(p1.providerAddress)
        expect(text(r.body)).toBe("Echo: second provider please")
      })
    } finally {
      p0.faults.clear()
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
      const all = events(r.body)
      expect(all.at(-1)).toBe("[DONE]")
      expect(JSON.parse(all.at(-2) as string)).toMatchObject({
        x_zg_verification: { verdict: "Verified", level: "bytes-bound", provider: p0.providerAddress },
      })
      // The official client skips the verdict chunk (no choices) and reads the text as usual.
      const openai = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: Redacted.value(g.token), maxRetries: 0 })
      const stream = await openai.chat.completions.create({
        model: "devnet-echo-1",
        messages: [{ role: "user", content: "official client" }],
        stream: true,
      })
      let got = ""
      for await (const c of stream) got += c.choices[0]?.delta.content ?? ""
      expect(got).toBe("Echo: official client")
    })
  })

  it("a tampered stream ends with an error event instead of [DONE], and the trailer names the failure", async () => {
    p0.faults.set({ flipResponseByte: true })
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
      p0.faults.clear()
    }
  })
})
