/**
 * The local gateway on a devnet with three emulated providers: bearer auth, `/v1/models`, the official OpenAI client
 * pointed at it, priority routing, failover on a tampered response and on a dead provider, a stream whose
 * verification fails ending in an error event, and the usage report. The spending cap (a budget) is in
 * budget.test.ts, stream verification modes in stream-verify.test.ts.
 */
import { Redacted } from "effect"
import OpenAI from "openai"
import { describe, expect, it } from "vitest"
import { useTestDevnet } from "../../testing/fixture.js"
import { streamedText } from "../../testing/gateway.js"

const t = useTestDevnet({
  inferenceProviders: 3,
  ledger: "20",
  acknowledge: { fund: "3" },
  gateway: (t) => ({
    providers: [
      { address: t.at(0).providerAddress, priority: 2 },
      { address: t.at(1).providerAddress, priority: 1 },
      { address: t.at(2).providerAddress, priority: 3 },
    ],
    cooldownMs: 600_000,
  }),
  openai: true,
})

const ask = (content: string) =>
  t.openai.chat.completions.create({ model: "devnet-echo-1", messages: [{ role: "user", content }] }).withResponse()

describe("local gateway", () => {
  it("binds to 127.0.0.1 and requires the bearer token", async () => {
    expect(t.gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await fetch(`${t.gateway.url}/health`)).status).toBe(200)
    const none = await fetch(`${t.gateway.url}/v1/models`)
    expect(none.status).toBe(401)
    expect(await none.json()).toMatchObject({ error: { code: "Unauthorized" } })
    const wrong = await fetch(`${t.gateway.url}/v1/models`, { headers: { authorization: "Bearer nope" } })
    expect(wrong.status).toBe(401)
  })

  it("lists the models of its providers, in priority order", async () => {
    const models = await t.openai.models.list()
    expect(models.data).toEqual([
      expect.objectContaining({
        id: "devnet-echo-1",
        providers: [t.at(1).providerAddress, t.at(0).providerAddress, t.at(2).providerAddress],
      }),
    ])
  })

  it("serves a chat from the preferred provider, verified", async () => {
    const { data, response } = await ask("route me")
    expect(data.choices[0]?.message.content).toBe("Echo: route me")
    expect(response.headers.get("x-zg-provider")).toBe(t.at(1).providerAddress)
    expect(response.headers.get("x-zg-verified")).toBe("Verified")
    expect(response.headers.get("x-zg-verification-level")).toBe("bytes-bound")
    expect(await streamedText(t.openai, "stream me")).toBe("Echo: stream me")
  })

  it("fails over when the preferred provider's response is tampered, and keeps it in cooldown", async () => {
    t.at(1).faults.set({ flipResponseByte: true })
    try {
      const { data, response } = await ask("fail over")
      expect(data.choices[0]?.message.content).toBe("Echo: fail over")
      expect(response.headers.get("x-zg-provider")).toBe(t.at(0).providerAddress)
    } finally {
      t.at(1).faults.clear()
    }
    const status = t.gateway.usage().providers.find((p) => p.address === t.at(1).providerAddress)
    expect(status?.downUntil).toBeGreaterThan(Date.now())
    expect(status?.lastError).toMatch(/^ResponseTampered/)
    expect((await ask("still cooling")).response.headers.get("x-zg-provider")).toBe(t.at(0).providerAddress)
  })

  it("fails over past a provider that is down", async () => {
    await t.at(0).stop()
    const { response } = await ask("p0 is gone")
    expect(response.headers.get("x-zg-provider")).toBe(t.at(2).providerAddress)
    expect(t.gateway.usage().providers.find((p) => p.address === t.at(0).providerAddress)?.lastError).toMatch(
      /^ProviderUnreachable/,
    )
  })

  it("ends a stream whose verification fails with an error event instead of [DONE]", async () => {
    t.at(2).faults.set({ wrongSigner: true })
    try {
      const stream = await t.openai.chat.completions.create({
        model: "devnet-echo-1",
        messages: [{ role: "user", content: "signed by whom" }],
        stream: true,
      })
      const error = await (async () => {
        for await (const _ of stream) {
          // content arrives; the verdict comes at the end
        }
      })().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(OpenAI.APIError)
      expect(error).toMatchObject({ code: "WrongResponseSigner" })
    } finally {
      t.at(2).faults.clear()
    }
  })

  it("reports usage per provider and model: requests, tokens and fees as billed", async () => {
    const res = await fetch(`${t.gateway.url}/v1/usage`, {
      headers: { authorization: `Bearer ${Redacted.value(t.gateway.token)}` },
    })
    const report = (await res.json()) as {
      total: { requests: number; fee: string }
      byModel: Array<{ provider: string; fee: string }>
    }
    const usage = t.gateway.usage()
    expect(report.total.requests).toBe(usage.total.requests)
    expect(BigInt(report.total.fee)).toBe(usage.spent)
    const byProvider = new Map(usage.byProvider.map((p) => [p.provider, p]))
    expect(byProvider.get(t.at(1).providerAddress)).toMatchObject({ requests: 3, verified: 2, failed: 1 })
    expect(byProvider.get(t.at(2).providerAddress)).toMatchObject({ requests: 2, verified: 1, failed: 1 })
    // The gateway's fee per provider is what the provider billed (only the gateway used these providers).
    for (const p of [t.at(1), t.at(2)])
      expect(byProvider.get(p.providerAddress)?.fee).toBe(p.unsettledFee(t.user.address))
    const m = usage.byModel.find((x) => x.provider === t.at(2).providerAddress)
    expect(m).toMatchObject({ model: "devnet-echo-1", promptTokens: 6, completionTokens: 8 })
  })
})
