/**
 * The gateway's cap holds whatever the client writes in the limit fields, and whatever happens after the provider
 * answered 200 (issue 11, M2 and L4), on a devnet over real HTTP:
 * - limits that are not positive integers (`"1000000"`, which pydantic servers coerce) are refused with a 400;
 * - with both limit fields set, the larger is reserved, and the body sent carries both fields and `n` equal to it
 *   (the provider's signature over the bytes it received still verifies);
 * - a billed answer cut off after the 200 (here: over the client's byte ceiling) keeps its reservation as spent.
 */
import { formatZG } from "@0g-compute/core"
import { describe, expect, it } from "vitest"
import { defaultInferenceConfig } from "../../config.js"
import { userClient, useTestDevnet } from "../../testing/fixture.js"
import { chatBody, post } from "../../testing/gateway.js"
import { maxCostOf } from "./budget.js"

/** Bodies the client's fetch sent to the provider's chat route (the real fetch still sends them). */
const sent: string[] = []

const t = useTestDevnet({
  config: {
    fetch: (input, init) => {
      const url = String(input instanceof Request ? input.url : input)
      if (url.includes("/v1/proxy/chat")) sent.push(Buffer.from(init?.body as Uint8Array).toString("utf8"))
      return globalThis.fetch(input, init)
    },
  },
  ledger: "20",
  acknowledge: { fund: "3" },
})
const prices = () => ({ inputPerToken: t.provider.inputPrice, outputPerToken: t.provider.outputPrice })

describe("limit fields under a spending cap", () => {
  it.each([
    ["max_completion_tokens", "1000000"],
    ["max_tokens", "8"],
    ["n", "8"],
    ["max_tokens", 2.5],
    ["max_completion_tokens", 0],
    ["n", -1],
  ])("refuses %s = %j with a 400 before sending anything", async (field, value) => {
    const before = sent.length
    await t.withGateway({ spendingCap: "1" }, async (g) => {
      const r = await post(g, chatBody("a b c", { [field]: value }))
      expect(r.status).toBe(400)
      expect(await r.json()).toMatchObject({
        error: { code: "InvalidLimit", type: "invalid_request_error", param: field },
      })
      expect(g.usage().reserved).toBe(0n)
    })
    expect(sent.length).toBe(before)
  })

  it("reserves the larger of max_completion_tokens and max_tokens", async () => {
    const body = chatBody("a b c", { max_completion_tokens: 10, max_tokens: 1_000_000 })
    const small = maxCostOf(JSON.parse(body), Buffer.byteLength(body), 10, prices())
    // Room for 10 output tokens, many times over, but not for a million.
    const cap = small * 50n
    const before = sent.length
    await t.withGateway({ spendingCap: cap }, async (g) => {
      const r = await post(g, body)
      expect(r.status).toBe(402)
      expect(await r.json()).toMatchObject({ error: { code: "SpendingCapReached" } })
    })
    expect(sent.length).toBe(before)
  })

  it("sends both limit fields and n equal to what it reserved, and the answer still verifies", async () => {
    await t.withGateway({ spendingCap: "1" }, async (g) => {
      const r = await post(g, chatBody("one two three four five", { max_tokens: 3 }))
      expect(r.status).toBe(200)
      expect(r.headers.get("x-zg-verified")).toBe("Verified")
      const json = (await r.json()) as { choices: Array<{ message: { content: string } }> }
      expect(json.choices[0]?.message.content).toBe("Echo: one two")
    })
    expect(JSON.parse(sent[sent.length - 1] as string)).toMatchObject({
      max_tokens: 3,
      max_completion_tokens: 3,
      n: 1,
    })
    // Without a cap the body is sent as the client wrote it.
    await t.withGateway({}, async (g) => {
      expect((await post(g, chatBody("x", { max_tokens: "7" }))).status).toBe(200)
    })
    expect(JSON.parse(sent[sent.length - 1] as string)).toEqual(JSON.parse(chatBody("x", { max_tokens: "7" })))
  })
})

describe("an answer cut off after the provider's 200", () => {
  it("keeps the request's reservation as spent: the cap never undercounts what the provider billed", async () => {
    // The same wallet, reading at most 16 bytes of a billed answer: every answer fails after its 200.
    const tight = await userClient(t.devnet, 0, {
      requestLimits: { ...defaultInferenceConfig().requestLimits, maxBytes: 16 },
    })
    try {
      const body = chatBody("a b c", { max_tokens: 4 })
      const billedBefore = t.provider.unsettledFee(t.user.address)
      await t.withGateway({ client: tight.client, spendingCap: "1" }, async (g) => {
        const r = await post(g, body)
        expect(r.status).toBe(502)
        expect(await r.json()).toMatchObject({ error: { code: "ProviderBodyTooLarge" } })
        const billed = t.provider.unsettledFee(t.user.address) - billedBefore
        expect(billed).toBeGreaterThan(0n)
        const u = g.usage()
        expect(u.reserved).toBe(0n)
        // The reserved maximum stands as the fee: at least what the provider billed, counted against the cap.
        expect(u.spent).toBeGreaterThanOrEqual(billed)
        const forwarded = { ...JSON.parse(body), max_tokens: 4, max_completion_tokens: 4, n: 1 }
        const reserved = maxCostOf(forwarded, Buffer.byteLength(JSON.stringify(forwarded)), 4, prices())
        expect(formatZG(u.spent)).toBe(formatZG(reserved))
        expect(u.total).toMatchObject({ requests: 1, failed: 1 })
      })
    } finally {
      await tight.close()
    }
  })
})

describe("a streamed request answered without SSE", () => {
  it("is the provider's failure (502 provider_error), read under the same limits, not a gateway error (500)", async () => {
    // The hostile 400 MiB body: JSON-looking, no content-length, to a request that asked for a stream.
    t.provider.faults.set({ hostile: "hugeBody" })
    try {
      await t.withGateway({}, async (g) => {
        const r = await post(g, chatBody("stream please", { stream: true }))
        expect(r.status).toBe(502)
        expect(await r.json()).toMatchObject({ error: { type: "provider_error", code: "ProviderBodyTooLarge" } })
        expect(g.usage().reserved).toBe(0n)
      })
      expect((await t.provider.faults.hostile.nextClose(t.provider.faults.hostile.closes.length - 1)).byClient).toBe(
        true,
      )
    } finally {
      t.provider.faults.clear()
    }
  })
})
