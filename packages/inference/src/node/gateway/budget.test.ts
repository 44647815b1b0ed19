/**
 * The gateway's spending cap as a budget, on a devnet: the audit's reproduction (cap 0.00000002 0G, 8 concurrent
 * requests: all were served and 10.4× the cap spent), a cap some requests fit in, a request too big for what is left,
 * the default output limit, and the request side of the gateway's limits (413, the client leaving).
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { formatZG, parseZG } from "@0g-compute/core"
import { startExtraProvider } from "@0g-compute/devnet/testing"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { useTestDevnet } from "../../testing/fixture.js"
import { chatBody, post, rawPost } from "../../testing/gateway.js"
import { Budget, IMAGE_PART_TOKENS, maxCostOf, requestedMaxTokens } from "./budget.js"
import { startGateway } from "./server.js"

/** The proxy calls the client's fetch made, with their abort signals (the real fetch still runs). */
const proxyCalls: Array<{ url: string; signal: AbortSignal | undefined }> = []

const t = useTestDevnet({
  config: {
    fetch: (input, init) => {
      const url = String(input instanceof Request ? input.url : input)
      if (url.includes("/v1/proxy/chat")) proxyCalls.push({ url, signal: init?.signal ?? undefined })
      return globalThis.fetch(input, init)
    },
  },
  ledger: "20",
  acknowledge: { fund: "3" },
})

/** The most a request can cost as the gateway sends it under a cap (both limit fields and `n` set to what it reserves). */
const forwardedCost = (body: string, maxTokens: number) => {
  const json = JSON.parse(body)
  const sent = { ...json, max_tokens: maxTokens, max_completion_tokens: maxTokens, n: json.n ?? 1 }
  return maxCostOf(sent, Buffer.byteLength(JSON.stringify(sent)), maxTokens, {
    inputPerToken: t.provider.inputPrice,
    outputPerToken: t.provider.outputPrice,
  })
}

const billed = () => BigInt(t.provider.unsettledFee(t.user.address))
const zg = (s: string) => Effect.runSync(parseZG(s))

describe("spending cap as a budget", () => {
  it("the audit's reproduction: cap 0.00000002 0G and 8 concurrent requests never spend more than the cap", async () => {
    const cap = zg("0.00000002")
    const before = billed()
    await t.withGateway({ spendingCap: "0.00000002" }, async (g) => {
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post(g, chatBody(`request ${i}`))))
      const bodies = await Promise.all(answers.map(async (r) => ({ status: r.status, json: await r.json() })))
      for (const b of bodies) {
        expect([200, 402]).toContain(b.status)
        if (b.status === 402)
          expect(b.json).toMatchObject({ error: { code: "SpendingCapReached", type: "insufficient_quota" } })
      }
      expect(bodies.filter((b) => b.status === 402).length).toBeGreaterThan(0)
      expect(g.usage().spent).toBeLessThanOrEqual(cap)
      expect(g.usage().reserved).toBe(0n)
    })
    // What the provider billed (the money that leaves the sub-account) stays within the cap too.
    expect(billed() - before).toBeLessThanOrEqual(cap)
  })

  it("with room for two requests at a time, concurrent requests are served or refused but never overshoot", async () => {
    const body = chatBody("a budget test", { max_tokens: 4 })
    const oneRequest = forwardedCost(body, 4)
    const cap = oneRequest * 2n + oneRequest / 2n
    const before = billed()
    await t.withGateway({ spendingCap: cap }, async (g) => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => post(g, body)))
      const statuses = answers.map((r) => r.status)
      const refused = await Promise.all(answers.filter((r) => r.status === 402).map((r) => r.json()))
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2)
      expect(refused.length).toBeGreaterThan(0)
      expect(refused[0]).toMatchObject({ error: { code: "SpendingCapReached", required: expect.any(String) } })
      expect(g.usage().spent).toBeLessThanOrEqual(cap)
      expect(g.usage().total.requests).toBe(statuses.filter((s) => s === 200).length)
    })
    expect(billed() - before).toBeLessThanOrEqual(cap)
  })

  it("refuses, before sending it, a request whose maximum cost is more than what is left", async () => {
    const before = billed()
    await t.withGateway({ spendingCap: "0.001" }, async (g) => {
      const body = chatBody("too long an answer", { max_tokens: 10_000_000 })
      const required = formatZG(forwardedCost(body, 10_000_000))
      const r = await post(g, body)
      expect(r.status).toBe(402)
      expect(await r.json()).toMatchObject({ error: { code: "SpendingCapReached", required, spending_cap: "0.001" } })
      expect(g.usage().total.requests).toBe(0)
      const fits = await post(g, chatBody("short", { max_tokens: 8 }))
      expect(fits.status).toBe(200)
    })
    expect(billed() - before).toBeGreaterThan(0n) // only the request that fit
  })

  it("adds the default output limit to a request that sets none, so its cost is bounded", async () => {
    await t.withGateway({ spendingCap: "1", defaultMaxTokens: 2 }, async (g) => {
      const r = await post(g, chatBody("one two three four"))
      const json = (await r.json()) as { choices: Array<{ message: { content: string }; finish_reason: string }> }
      expect(json.choices[0]).toMatchObject({ message: { content: "Echo: one" }, finish_reason: "length" })
    })
    // Without a cap the request is sent as it is.
    await t.withGateway({}, async (g) => {
      const json = (await (await post(g, chatBody("one two three four"))).json()) as {
        choices: Array<{ message: { content: string } }>
      }
      expect(json.choices[0]?.message.content).toBe("Echo: one two three four")
    })
  })
})

describe("the budget's arithmetic", () => {
  const prices = { inputPerToken: 3n, outputPerToken: 5n }

  it("bounds a request by its body bytes, media parts, output limit and choices", () => {
    const text = { messages: [{ role: "user", content: "hi" }] }
    expect(maxCostOf(text, 100, 10, prices)).toBe(100n * 3n + 10n * 5n)
    expect(maxCostOf({ ...text, n: 3 }, 100, 10, prices)).toBe(100n * 3n + 30n * 5n)
    const image = {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is it" },
            { type: "image_url", image_url: {} },
          ],
        },
      ],
    }
    expect(maxCostOf(image, 100, 10, prices)).toBe((100n + BigInt(IMAGE_PART_TOKENS)) * 3n + 10n * 5n)
    expect(requestedMaxTokens({ max_tokens: 7, max_completion_tokens: 9 })).toBe(9)
    expect(requestedMaxTokens({ max_tokens: 1_000_000, max_completion_tokens: 10 })).toBe(1_000_000)
    expect(requestedMaxTokens({ max_tokens: -1 })).toBeUndefined()
  })

  it("admits reservations while spent + reserved stays within the cap, and counts a fee above its reservation", () => {
    let spent = 0n
    const b = new Budget(100n, () => spent)
    const a = b.reserve(60n)
    expect(a).toBeDefined()
    expect(b.reserve(41n)).toBeUndefined()
    const c = b.reserve(40n)
    expect(b.remaining()).toBe(0n)
    spent += 10n // a's fee recorded, then its reservation ends
    expect(b.release(a as NonNullable<typeof a>, 10n)).toBe(false)
    expect(b.remaining()).toBe(50n)
    spent += 55n // c billed more than it reserved
    expect(b.release(c as NonNullable<typeof c>, 55n)).toBe(true)
    expect(b.release(c as NonNullable<typeof c>, 55n)).toBe(false) // idempotent
    expect({ overruns: b.overruns, over: b.overrunAmount, reserved: b.reserved }).toEqual({
      overruns: 1,
      over: 15n,
      reserved: 0n,
    })
    expect(new Budget(undefined, () => spent).reserve(10n ** 30n)).toBeDefined()
  })
})

describe("request limits", () => {
  it("answers an oversize body with a 413 JSON error, declared length or chunked, instead of a reset", async () => {
    await t.withGateway({ maxBodyBytes: 1024 }, async (g) => {
      const big = chatBody("x".repeat(64 * 1024))
      const declared = await post(g, big)
      expect(declared.status).toBe(413)
      expect(await declared.json()).toMatchObject({ error: { code: "RequestBodyTooLarge" } })
      const chunked = await rawPost(g, { "transfer-encoding": "chunked" }, (req) => {
        for (let i = 0; i < 16; i++) req.write("x".repeat(4096))
      })
      expect(chunked.status).toBe(413)
      expect(JSON.parse(chunked.body)).toMatchObject({ error: { code: "RequestBodyTooLarge" } })
      expect(g.usage().total.requests).toBe(0)
    })
  })

  it("cancels the upstream request when the client leaves before the provider answers", async () => {
    // A provider whose upstream model accepts the request and never answers.
    let upstreamHit: () => void = () => {}
    const hit = new Promise<void>((r) => {
      upstreamHit = r
    })
    const hung: Server = createServer(() => upstreamHit())
    await new Promise<void>((r) => hung.listen(0, "127.0.0.1", () => r()))
    const stalled = await startExtraProvider(t.devnet, t.user.provider, {
      upstream: `http://127.0.0.1:${(hung.address() as AddressInfo).port}/v1`,
    })
    try {
      await t.user.client.acknowledge(stalled.providerAddress, { allowDevnet: true, fund: "1" })
      const g = await startGateway({ client: t.user.client, providers: [stalled.providerAddress], spendingCap: "1" })
      try {
        proxyCalls.length = 0
        const leave = new AbortController()
        const pending = post(g, chatBody("anyone there?", { model: stalled.model }), leave.signal).catch((e) => e)
        await hit
        expect(g.usage().reserved).toBeGreaterThan(0n)
        const upstream = proxyCalls[0]?.signal
        expect(upstream?.aborted).toBe(false)
        const cancelled = new Promise<void>((r) => upstream?.addEventListener("abort", () => r(), { once: true }))
        leave.abort()
        await cancelled
        expect(upstream?.aborted).toBe(true)
        expect(await pending).toBeInstanceOf(Error)
        // Nothing was billed; the reservation is given back once the cancelled call settles.
        await Promise.resolve()
        while (g.usage().reserved !== 0n) await new Promise((r) => setImmediate(r))
        expect(g.usage().total.requests).toBe(0)
      } finally {
        await g.stop()
      }
    } finally {
      await stalled.stop()
      hung.closeAllConnections()
      hung.close()
    }
  })
})
