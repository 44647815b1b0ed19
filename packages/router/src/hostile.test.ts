/**
 * What a careless admin or a hostile caller sends the router, on a devnet (real anvil + contracts, two emulated
 * providers over HTTP) with PGlite in memory: key options of the wrong shape or size are typed 400s (never a key with
 * less scope or budget than asked, never a database 503), query limits are checked, and a failover attempt is not a
 * second request against the key's per-minute limit. The providers forward to an echo model that reports the usage
 * a test asks for, so one can bill past the output limit the router reserved for.
 */
import { formatZG, parseZGSync } from "@0g-compute/core"
import { useStarted } from "@0g-compute/core/testing/hooks"
import type { InferenceProvider } from "@0g-compute/devnet"
import { describe, expect, it } from "vitest"
import { startRouter } from "./router.js"
import { adminApi } from "./testing/admin.js"
import { startRouterNetwork } from "./testing/network.js"
import { until } from "./testing/until.js"
import { startEchoUpstream } from "./testing/upstream.js"

const ADMIN = "admin-token-for-hostile-tests"
/** A message with this content is billed far past any output limit (the model ignores max_tokens). */
const OVERBILL = "overbill me"

const env = useStarted(async (onStop) => {
  const upstream = await startEchoUpstream((body) => {
    const last = (body.messages as Array<{ content: string }>).at(-1)?.content
    const completion = last === OVERBILL ? 100_000 : 20
    return { prompt_tokens: 10, completion_tokens: completion, total_tokens: 10 + completion }
  })
  onStop(() => upstream.close())
  const net = await startRouterNetwork({ inferenceProviders: 2, inference: { upstream: upstream.url } })
  onStop(() => net.stop())
  const [p0, p1] = net.devnet.inference as [InferenceProvider, InferenceProvider]
  const providers = [p1.providerAddress, p0.providerAddress]
  const router = await startRouter({ client: net.client, providers, adminToken: ADMIN })
  onStop(() => router.stop())
  return { net, router, p0, p1 }
}, 180_000)

const { admin, createKey } = adminApi(() => env.router.url, ADMIN, "hostile")

const chat = (secret: string, body: Record<string, unknown> = {}) =>
  fetch(`${env.router.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ model: env.p0.model, messages: [{ role: "user", content: "hi" }], max_tokens: 20, ...body }),
  })

describe("router against careless and hostile input", () => {
  it("answers a key option of the wrong shape or size with a typed 400 and creates no key", async () => {
    const count = async () => ((await (await admin("/admin/keys")).json()) as { data: unknown[] }).data.length
    const before = await count()
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ models: "devnet-echo-1" }, "models"], // a string, not a list: all models would be allowed
      [{ models: [1] }, "models"],
      [{ models: [""] }, "models"],
      [{ providers: "0x0000000000000000000000000000000000000001" }, "providers"],
      [{ providers: ["p0"] }, "providers"],
      [{ budget: { total: true } }, "budget.total"], // ignored, the key would have no budget
      [{ budget: { total: { amount: "1" } } }, "budget.total"],
      [{ budget: { daily: "1" } }, "budget.daily"],
      [{ budget: "1" }, "budget"],
      [{ budgets: { total: "1" } }, "budgets"],
      [{ rpm: 5 }, "rpm"],
      [{ requests_per_minute: "10" }, "requests_per_minute"],
      [{ tokens_per_minute: 1.5 }, "tokensPerMinute"],
      [{ requests_per_minute: 2 ** 40 }, "requestsPerMinute"], // past int4: was a database 503
      [{ budget: { total: `1${"0".repeat(70)}` } }, "budgetTotal"], // past NUMERIC(78,0): was a database 503
      [{ budget: { day: -1 } }, "budgetDay"],
      [{ expires_at: { at: 1 } }, "expires_at"],
      [{ expires_at: "not a date" }, "expires_at"],
      [{ expires_at: 1e300 }, "expiresAt"], // past int8: was a database 503
      [{ expires_at: Date.now() + 3_600_000.5 }, "expiresAt"],
      [{ label: 7 }, "label"],
    ]
    for (const [body, field] of cases) {
      const res = await admin("/admin/keys", { method: "POST", body: JSON.stringify({ label: "bad", ...body }) })
      const answer = (await res.json()) as { error: { code: string; field: string } }
      expect({ body, status: res.status, code: answer.error.code, field: answer.error.field }).toEqual({
        body,
        status: 400,
        code: "InvalidKeyOptions",
        field,
      })
    }
    expect(await count()).toBe(before)
    // The largest values that fit are accepted.
    const big = await createKey({ requests_per_minute: 2 ** 31 - 1, budget: { total: `1${"0".repeat(59)}` } })
    expect(big.key.id).toMatch(/^key_/)
  })

  it("answers a query parameter that is not a key id or a positive whole number with a typed 400", async () => {
    const bad = await admin("/admin/requests?key=key_%00x") // a NUL: was a database 503
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: { code: "InvalidKeyId", param: "key" } })
    for (const path of ["/admin/requests?limit=-1", "/admin/requests?limit=1.5", "/admin/funding?limit=-3"]) {
      const res = await admin(path)
      expect({ path, status: res.status }).toEqual({ path, status: 400 })
      expect(await res.json()).toMatchObject({ error: { code: "InvalidLimit", param: "limit" } })
    }
    expect((await admin("/admin/requests?limit=100000")).status).toBe(200)
  })

  it("a client that leaves mid-stream: the router still settles the reservation to what the provider billed", async () => {
    const { net, router, p0 } = env
    const { key, secret } = await createKey({ budget: { total: "1" } })
    const billed = p0.unsettledFee(net.user)
    p0.faults.set({ streamDelayMs: 300 })
    const leave = new AbortController()
    try {
      const res = await fetch(`${router.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: p0.model,
          messages: [{ role: "user", content: "leaving early" }],
          stream: true,
          provider: { order: [p0.providerAddress], allow_fallbacks: false },
        }),
        signal: leave.signal,
      })
      expect(res.status).toBe(200)
      const reader = res.body?.getReader()
      await reader?.read() // the first chunk arrived; the client goes away
      leave.abort()
    } finally {
      p0.faults.clear()
    }
    const logged = async () =>
      ((await (await admin(`/admin/requests?key=${key.id}`)).json()) as { data: Array<{ fee: string }> }).data
    await until(async () => (await logged()).length === 1, "the left stream is settled")
    const [row] = await logged()
    const fee = p0.unsettledFee(net.user) - billed
    expect(fee).toBeGreaterThan(0n)
    expect(row?.fee).toBe(formatZG(fee))
    const info = ((await (await admin(`/admin/keys/${key.id}`)).json()) as { key: Record<string, unknown> }).key
    expect(info).toMatchObject({
      reserved: "0",
      spent: { day: formatZG(fee), month: formatZG(fee), total: formatZG(fee) },
    })
  })

  it("a failover attempt is not a second request against the key's per-minute limit", async () => {
    const { p0, p1 } = env
    const { key, secret } = await createKey({ requests_per_minute: 1 })
    p1.faults.set({ failMidStream: true }) // non-streams: the first provider answers 500
    try {
      const res = await chat(secret)
      expect(res.status).toBe(200)
      expect(res.headers.get("x-0g-provider")).toBe(p0.providerAddress)
      await res.arrayBuffer()
    } finally {
      p1.faults.clear()
    }
    const log = ((await (await admin(`/admin/requests?key=${key.id}`)).json()) as { data: Array<{ status: number }> })
      .data
    expect(log.map((r) => r.status).sort()).toEqual([200, 500])
  })

  it("a provider billing past the reserved maximum cools down: it is tried after the others", async () => {
    const { key, secret } = await createKey({})
    const res = await chat(secret, { messages: [{ role: "user", content: OVERBILL }] })
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    const served = res.headers.get("x-0g-provider") ?? ""
    const [row] = (
      (await (await admin(`/admin/requests?key=${key.id}`)).json()) as {
        data: Array<{ fee: string; reserved: string; provider: string }>
      }
    ).data
    expect(row?.provider).toBe(served)
    expect(Number(row?.fee)).toBeGreaterThan(Number(row?.reserved)) // logged as billed, never hidden
    const usage = (await (await admin("/admin/usage")).json()) as {
      providers: Array<{ address: string; downUntil: number; lastError?: string }>
    }
    const health = usage.providers.find((p) => p.address === served)
    expect(health?.lastError).toMatch(/^BudgetOverrun: billed \d+ > reserved \d+ neuron$/)
    expect(health?.downUntil).toBeGreaterThan(Date.now())
  })

  it("answers /admin/usage totals in decimal 0G, as every other amount of the admin API", async () => {
    const usage = (await (await admin("/admin/usage")).json()) as {
      totals: Record<string, string>
      keys: Array<{ spent: { total: string } }>
    }
    const spent = usage.keys.reduce((s, k) => s + parseZGSync(k.spent.total), 0n)
    expect(spent).toBeGreaterThan(0n)
    expect(usage.totals).toEqual({ logged: formatZG(spent), spent: formatZG(spent), reserved: "0" })
  })

  it("when the cheapest provider fails and the key's budget refuses the rest, the 502 says so for each", async () => {
    const { p0, p1 } = env
    const byPrice = { provider: { sort: "price" } }
    // What the cheapest provider (p0) needs for this request: the 402 of a key that can afford none names it.
    const refused = await chat((await createKey({ budget: { total: "0.000000000000000001" } })).secret, byPrice)
    expect(refused.status).toBe(402)
    const { required } = ((await refused.json()) as { error: { required: string } }).error
    // A budget that fits p0 and not p1, which charges twice as much.
    const { secret } = await createKey({ budget: { total: required } })
    p0.faults.set({ failMidStream: true })
    try {
      const res = await chat(secret, byPrice)
      expect(res.status).toBe(502)
      const { error } = (await res.json()) as {
        error: { code: string; attempts: Array<{ provider: string; code: string; message: string }> }
      }
      expect(error.code).toBe("NoProviderAvailable")
      expect(error.attempts.map((a) => a.provider)).toEqual([p0.providerAddress, p1.providerAddress])
      expect(error.attempts[0]?.code).not.toBe("KeyBudgetExceeded")
      expect(error.attempts[1]).toMatchObject({ code: "KeyBudgetExceeded", message: expect.stringContaining(required) })
    } finally {
      p0.faults.clear()
    }
  })
})
