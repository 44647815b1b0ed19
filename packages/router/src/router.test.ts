/**
 * The router against a devnet (real anvil + contracts, two emulated providers forwarding to a recording upstream, so
 * the test sees exactly what a provider's model received) with its state in PGlite in a temp data directory.
 */

import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { useStarted } from "@0g-compute/core/testing/hooks"
import type { InferenceProvider } from "@0g-compute/devnet"
import { repricableService } from "@0g-compute/devnet/testing"
import { Effect } from "effect"
import OpenAI from "openai"
import { chromium } from "playwright-core"
import { describe, expect, it, vi } from "vitest"
import { Database } from "./db.js"
import { type RouterHandle, routerStoreLayer, startRouter } from "./router.js"
import { Spend } from "./spend.js"
import { adminApi } from "./testing/admin.js"
import { startRouterNetwork } from "./testing/network.js"
import { startEchoUpstream } from "./testing/upstream.js"

const ADMIN = "admin-token-for-tests"
const GWEI = 1_000_000_000n
const env = useStarted(async (onStop) => {
  const upstream = await startEchoUpstream()
  onStop(() => upstream.close())
  const net = await startRouterNetwork(
    { inferenceProviders: 2, inference: { upstream: upstream.url } },
    { config: { signatureAttempts: 2, signatureRetryDelayMs: 10 } },
  )
  onStop(() => net.stop())
  const [p0, p1] = net.devnet.inference as [InferenceProvider, InferenceProvider]
  const dataDir = mkdtempSync(join(tmpdir(), "zg-router-"))
  onStop(() => rmSync(dataDir, { recursive: true, force: true }))
  const start = () =>
    startRouter({ client: net.client, providers: [p1.providerAddress, p0.providerAddress], dataDir, adminToken: ADMIN })
  let router = await start()
  onStop(() => router.stop())
  return {
    net,
    p0,
    p1,
    dataDir,
    /** Every request body the providers' model received, in order. */
    received: upstream.received,
    get router(): RouterHandle {
      return router
    },
    /** Stops the router, runs `whileDown` (against its store), and starts it again on the same data directory. */
    restart: async (whileDown: () => Promise<void>) => {
      await router.stop()
      await whileDown()
      router = await start()
    },
  }
})

const { admin, createKey } = adminApi(() => env.router.url, ADMIN, "k")

const keyInfo = async (id: string) =>
  ((await (await admin(`/admin/keys/${id}`)).json()) as { key: Record<string, unknown> & { spent: { total: string } } })
    .key

const chat = (secret: string, body: Record<string, unknown>) =>
  fetch(`${env.router.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: "devnet-echo-1",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 50,
      ...body,
    }),
  })

describe("router on a devnet", () => {
  it("guards the admin API, shows a key's secret once, and lists keys without secrets", async () => {
    const { router } = env
    expect((await fetch(`${router.url}/admin/keys`)).status).toBe(401)
    expect((await fetch(`${router.url}/admin/keys`, { headers: { authorization: "Bearer zgr-x" } })).status).toBe(401)
    const { key, secret } = await createKey({ label: "listing", budget: { total: "1" }, models: ["devnet-echo-1"] })
    expect(secret).toMatch(/^zgr-/)
    const listed = await (await admin("/admin/keys")).text()
    expect(listed).toContain(key.id)
    expect(listed).not.toContain(secret)
    expect(JSON.parse(listed).data.find((k: { id: string }) => k.id === key.id)).toMatchObject({
      label: "listing",
      budget: { total: "1" },
      spent: { total: "0" },
      remaining: "1",
      models: ["devnet-echo-1"],
    })
  })

  it("refuses unknown and revoked keys with 401, a model or provider outside the key's scope with 403", async () => {
    const { router, p0, p1 } = env
    expect((await chat("zgr-unknown", {})).status).toBe(401)
    expect((await fetch(`${router.url}/v1/models`)).status).toBe(401)
    const { key, secret } = await createKey({ label: "revoked" })
    expect((await admin(`/admin/keys/${key.id}`, { method: "DELETE" })).status).toBe(200)
    const revoked = await chat(secret, {})
    expect(revoked.status).toBe(401)
    expect(await revoked.json()).toMatchObject({ error: { code: "KeyRejected", reason: "revoked", keyId: key.id } })

    const scoped = await createKey({ label: "scoped", models: ["other-model"], providers: [p1.providerAddress] })
    const model = await chat(scoped.secret, {})
    expect(model.status).toBe(403)
    expect(await model.json()).toMatchObject({ error: { code: "KeyScopeDenied", what: "model" } })
    const onlyP1 = await createKey({ label: "p1 only", providers: [p1.providerAddress] })
    const pinned = await chat(onlyP1.secret, { provider: { order: [p0.providerAddress] } })
    expect(pinned.status).toBe(403)
    expect(await pinned.json()).toMatchObject({ error: { code: "KeyScopeDenied", what: "provider" } })
    expect((await keyInfo(onlyP1.key.id)).spent.total).toBe("0")
  })

  it("answers verified chats, strips the provider field, pins, sorts by price, and streams the verdict", async () => {
    const { router, p0, p1, received } = env
    const { key, secret } = await createKey({ label: "chat" })
    const openai = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: secret, maxRetries: 0 })
    const { data, response } = await openai.chat.completions
      .create({ model: "devnet-echo-1", messages: [{ role: "user", content: "plain" }] })
      .withResponse()
    expect(data.choices[0]?.message.content).toBe("Echo: plain")
    expect(response.headers.get("x-0g-verification")).toBe("bytes-bound")
    expect(response.headers.get("x-0g-provider")).toBe(p1.providerAddress) // first by priority

    const before = received.length
    const pinned = await chat(secret, { provider: { order: [p0.providerAddress], allow_fallbacks: false } })
    expect(pinned.status).toBe(200)
    expect(pinned.headers.get("x-0g-provider")).toBe(p0.providerAddress)
    expect(pinned.headers.get("x-0g-verification")).toBe("bytes-bound")
    expect(received.length).toBe(before + 1)
    expect(received.at(-1)).not.toHaveProperty("provider")
    expect(received.at(-1)).toMatchObject({ max_tokens: 50, max_completion_tokens: 50, n: 1 })

    const cheapest = await chat(secret, { provider: { sort: "price" } })
    expect(cheapest.headers.get("x-0g-provider")).toBe(p0.providerAddress) // p0 charges half of p1's prices
    expect((await chat(secret, { provider: { sort: "fastest" } })).status).toBe(400)

    const stream = await chat(secret, { stream: true, provider: { order: [p1.providerAddress] } })
    expect(stream.headers.get("x-0g-verification")).toBe("final-event")
    const events = (await stream.text()).split("\n\n").filter((e) => e.startsWith("data: {"))
    const last = JSON.parse((events.at(-1) ?? "").slice(6)) as { x_zg_verification?: { level: string } }
    expect(last.x_zg_verification).toMatchObject({ level: "bytes-bound", verdict: "Verified" })
    expect(received.at(-1)).not.toHaveProperty("provider")

    const log = (await (await admin(`/admin/requests?key=${key.id}`)).json()) as {
      data: Array<Record<string, unknown>>
    }
    expect(log.data).toHaveLength(4)
    expect(log.data[0]).toMatchObject({ stream: true, verification: "bytes-bound", status: 200, prompt_tokens: 10 })
    const models = (await (
      await fetch(`${router.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } })
    ).json()) as {
      data: Array<{ id: string; providers: Array<Record<string, unknown>> }>
    }
    expect(models.data[0]?.id).toBe("devnet-echo-1")
    expect(models.data[0]?.providers).toEqual([
      expect.objectContaining({
        address: p1.providerAddress,
        input_price_per_million: "0.002",
        output_price_per_million: "0.004",
      }),
      expect.objectContaining({
        address: p0.providerAddress,
        input_price_per_million: "0.001",
        output_price_per_million: "0.002",
      }),
    ])
  })

  it("refuses a request over budget with 402 and charges nothing; a per-minute limit answers 429", async () => {
    const { net, p1, received } = env
    const unsettled = p1.unsettledFee(net.user)
    const logged = received.length
    const poor = await createKey({ label: "poor", budget: { total: "0.000000001" } })
    const res = await chat(poor.secret, {})
    expect(res.status).toBe(402)
    expect(await res.json()).toMatchObject({
      error: { code: "KeyBudgetExceeded", period: "total", budget: "0.000000001" },
    })
    expect(received.length).toBe(logged)
    expect(p1.unsettledFee(net.user)).toBe(unsettled)
    expect(await keyInfo(poor.key.id)).toMatchObject({ spent: { total: "0" }, reserved: "0" })

    const slow = await createKey({ label: "slow", requests_per_minute: 1 })
    expect((await chat(slow.secret, {})).status).toBe(200)
    const limited = await chat(slow.secret, {})
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0)
    expect(await limited.json()).toMatchObject({ error: { code: "KeyRateLimited", limit: "requests", perMinute: 1 } })
  })

  it("16 concurrent requests against a budget that fits only some never overshoot it", async () => {
    const { p0 } = env
    // Each request reserves ≈ 250 gwei at p0's prices (≈ 150 body bytes × 1 + 50 × 2) and is billed 50 gwei.
    const budget = 600n * GWEI
    const { key, secret } = await createKey({
      label: "burst",
      budget: { total: "0.0000006" },
      providers: [p0.providerAddress],
    })
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => chat(secret, { messages: [{ role: "user", content: `n${i}` }] })),
    )
    const statuses = results.map((r) => r.status)
    await Promise.all(results.map((r) => r.arrayBuffer()))
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0)
    expect(statuses.filter((s) => s === 402).length).toBeGreaterThan(0)
    expect(statuses.every((s) => s === 200 || s === 402)).toBe(true)
    const info = await keyInfo(key.id)
    const spent = BigInt(Math.round(Number(info.spent.total) * 1e18))
    expect(spent).toBe(BigInt(statuses.filter((s) => s === 200).length) * 50n * GWEI)
    expect(spent <= budget).toBe(true)
    expect(info.reserved).toBe("0")
  })

  it("keeps keys, spend and the log across a restart, reconciles a stale reservation, refuses an expired key", async () => {
    const before = (await (await admin("/admin/usage")).json()) as { totals: Record<string, string>; keys: unknown[] }
    const { key, secret } = await createKey({ label: "expiring", budget: { total: "1" } })
    // While the router is down: a reservation a crashed request left behind, and the key's expiry passes.
    await env.restart(() =>
      Effect.runPromise(
        Effect.scoped(
          Effect.provide(
            Effect.gen(function* () {
              const spend = yield* Spend
              yield* spend.reserve({
                keyId: key.id,
                amount: 7n * GWEI,
                provider: env.p0.providerAddress,
                model: "devnet-echo-1",
              })
              const db = yield* Database
              yield* Effect.promise(() =>
                db.query("UPDATE router_reservations SET alive_until = alive_until - 3600000"),
              )
              yield* Effect.promise(() =>
                db.query("UPDATE router_keys SET expires_at = $2 WHERE id = $1", [key.id, Date.now() - 1]),
              )
            }),
            routerStoreLayer({ dataDir: env.dataDir }),
          ),
        ),
      ),
    )
    expect(env.router.started).toEqual({ migrations: [], reconciled: 1 })
    const after = (await (await admin("/admin/usage")).json()) as { totals: Record<string, string>; keys: unknown[] }
    expect(after.totals).toEqual(before.totals)
    expect(after.keys).toHaveLength(before.keys.length + 1)
    expect(await keyInfo(key.id)).toMatchObject({ reserved: "0", spent: { total: "0" } })
    const expired = await chat(secret, {})
    expect(expired.status).toBe(401)
    expect(await expired.json()).toMatchObject({ error: { code: "KeyRejected", reason: "expired" } })
    const log = (await (await admin(`/admin/requests?key=${key.id}`)).json()) as {
      data: Array<Record<string, unknown>>
    }
    expect(log.data).toEqual([expect.objectContaining({ verdict: "Reconciled", fee: "0", reserved: "0.000000007" })])
  })

  it("logged fees equal what each provider reports as unsettled, and equal the keys' settled spend", async () => {
    const { net, p0, p1 } = env
    const rows = (await (await admin("/admin/requests?limit=1000")).json()) as {
      data: Array<{ provider: string; fee: string }>
    }
    const sum = (p: string) =>
      rows.data.filter((r) => r.provider === p).reduce((s, r) => s + BigInt(Math.round(Number(r.fee) * 1e18)), 0n)
    expect(sum(p0.providerAddress)).toBe(p0.unsettledFee(net.user))
    expect(sum(p1.providerAddress)).toBe(p1.unsettledFee(net.user))
    expect(sum(p0.providerAddress) + sum(p1.providerAddress)).toBeGreaterThan(0n)
    const usage = (await (await admin("/admin/usage")).json()) as {
      totals: { logged: string; spent: string; reserved: string }
    }
    expect(usage.totals.logged).toBe(usage.totals.spent)
    expect(usage.totals.reserved).toBe("0")
  })

  it("dashboard in Chromium: login with the admin token, charts, budgets, recent requests, providers; labels escaped", async () => {
    const { router, dataDir } = env
    const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
    if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`)
    const hostile = await createKey({ label: '<img src=x onerror="document.title=1">', budget: { day: "0.001" } })
    expect(
      (await chat(hostile.secret, { messages: [{ role: "user", content: "from the hostile label" }] })).status,
    ).toBe(200)
    expect((await fetch(`${router.url}/ui`)).status).toBe(401)
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"],
    })
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } })
      await page.goto(`${router.url}/ui`)
      await page.fill("input[name=token]", "wrong-token")
      await page.click("button[type=submit]")
      expect(await page.textContent("[data-testid=login-error]")).toContain("Wrong admin token")
      await page.fill("input[name=token]", ADMIN)
      await page.click("button[type=submit]")
      await page.waitForSelector("[data-testid=summary]")
      const rows = (await (await admin("/admin/requests?limit=1000")).json()) as { data: unknown[] }
      const billed = rows.data.filter((r) => (r as { verdict: string }).verdict !== "Reconciled").length
      expect(await page.textContent("[data-testid=summary]")).toContain(`${rows.data.length} requests`)
      expect(await page.textContent("[data-testid=summary]")).toContain(`${billed} bytes-bound`)
      // One spend line per key that spent; the hostile label is text, not markup.
      const series = await page.$$eval("[data-testid=spend-chart] polyline", (ls) =>
        ls.map((l) => l.getAttribute("data-series")),
      )
      expect(series).toContain(`<img src=x onerror="document.title=1"> (${hostile.key.id})`)
      expect(await page.$$("img")).toHaveLength(0)
      expect(await page.title()).toBe("0G router")
      const budget = await page.textContent(
        `[data-testid=budgets] tr[data-key="${hostile.key.id}"] [data-testid=remaining]`,
      )
      expect(budget).toBe(`${(await keyInfo(hostile.key.id)).remaining} 0G`)
      expect(await page.textContent("[data-testid=recent]")).toContain("bytes-bound")
      expect(await page.$$("[data-testid=providers] tr[data-provider]")).toHaveLength(2)
      expect(await page.textContent("[data-testid=by-model]")).toContain("devnet-echo-1")
      // The README's screenshot is refreshed with UPDATE_SCREENSHOTS=1; otherwise it goes to the temp data dir.
      const shot =
        process.env.UPDATE_SCREENSHOTS === "1"
          ? new URL("../docs/dashboard.png", import.meta.url).pathname
          : join(dataDir, "ui.png")
      mkdirSync(dirname(shot), { recursive: true })
      await page.screenshot({ path: shot, fullPage: true })
      expect(existsSync(shot)).toBe(true)
    } finally {
      await browser.close()
    }
  })
})

describe("a provider's price change on chain", () => {
  it("is what /v1/models shows, and reservations price with, after the next service refresh", async () => {
    const { net } = env
    const service = await repricableService(net.devnet, net.rpc)
    await service.publish(GWEI, 2n * GWEI)
    const dir = mkdtempSync(join(tmpdir(), "zg-router-refresh-"))
    const refreshing = await startRouter({
      client: net.client,
      providers: [service.address],
      dataDir: dir,
      adminToken: ADMIN,
      serviceRefreshMs: 50,
    })
    try {
      const { createKey: keyAt } = adminApi(() => refreshing.url, ADMIN, "refresh")
      const { secret } = await keyAt({})
      const outputPrice = async () => {
        const res = await fetch(`${refreshing.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } })
        const body = (await res.json()) as { data: Array<{ providers: Array<{ output_price_per_million: string }> }> }
        return body.data[0]?.providers[0]?.output_price_per_million
      }
      expect(await outputPrice()).toBe("0.002")
      await service.publish(GWEI, 7n * GWEI)
      await vi.waitFor(async () => expect(await outputPrice()).toBe("0.007"), { timeout: 20_000, interval: 50 })
    } finally {
      await refreshing.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
