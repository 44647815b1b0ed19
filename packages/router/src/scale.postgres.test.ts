/**
 * Scale with replicas (issue 14 items 3 and 6): a real Postgres server (started by the test on 127.0.0.1), the devnet
 * with two emulated providers in this process, and TWO router instances as separate processes on that database, each
 * preferring a different provider, both with funding on (only the lock holder may fund).
 *  1. 1 000 chats from 20 keys over both: no key over budget, every 200 logged once, Σ logged fees = the providers'
 *     unsettled + what settlement moved on chain, and every top-up was sent by the lock holder alone.
 *  2. 400 more chats; after 100 the holder is killed with SIGKILL: every 200 a client saw is still logged exactly once,
 *     the survivor takes the lock and tops up, and releases the dead instance's stale reservations.
 */
import { Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Database } from "./db.js"
import type { FundingLog } from "./funding.js"
import type { Keys } from "./keys.js"
import { routerStoreLayer } from "./router.js"
import { Spend } from "./spend.js"
import { startPostgres, type TestPostgres } from "./testing/postgres.js"
import { type RouterChild, spawnRouter } from "./testing/router-child.js"
import {
  ADMIN,
  createKeys,
  funding,
  GWEI,
  type Outcome,
  POLICY,
  runLoad,
  type ScaleDevnet,
  startScaleDevnet,
  type TestKey,
} from "./testing/scale.js"
import { expectFeesAddUp, expectLoggedOnce, expectWithinBudgets, type LogRow } from "./testing/scale-checks.js"
import { until } from "./testing/until.js"

let net: ScaleDevnet
let pg: TestPostgres
let store: ManagedRuntime.ManagedRuntime<Keys | Spend | FundingLog | Database, unknown>
const children: RouterChild[] = []
let totalBefore: bigint
let keys: TestKey[]
const outcomes: Outcome[] = []

/** Per test. Generous: CI runs this on a loaded 2-core machine (the goal is under a minute on an idle one). */
const TIMEOUT_MS = 300_000

/** Reservations open longer than this are a dead instance's: the lock holder releases them. */
const DEADLINE_MS = 12_000

const spawn = (instanceId: string, providers: ReadonlyArray<string>) =>
  spawnRouter({
    rpcUrl: net.devnet.rpcUrl,
    chainId: Number(net.devnet.chainId),
    contracts: { ...net.devnet.addresses },
    privateKey: net.user.privateKey,
    databaseUrl: pg.url,
    providers,
    adminToken: ADMIN,
    instanceId,
    reservationDeadlineMs: DEADLINE_MS,
    funding: {
      intervalMs: 250,
      policy: {
        reserve: POLICY.reserve.toString(),
        headroom: POLICY.headroom.toString(),
        unsettledMargin: POLICY.unsettledMargin.toString(),
      },
    },
  })

/** The whole request log, read from the database (more rows than the admin API pages). */
const log = async (): Promise<LogRow[]> =>
  (await store.runPromise(Spend.use((s) => s.recent({ limit: 100_000 })))).map((r) => ({
    keyId: r.keyId,
    status: r.status,
    verdict: r.verdict,
    fee: r.fee,
    reserved: r.reserved,
    chatId: r.chatId,
  }))

const byId = (id: string) => {
  const c = children.find((x) => x.instanceId === id)
  if (c === undefined) throw new Error(`no instance ${id}`)
  return c
}

beforeAll(async () => {
  ;[net, pg] = await Promise.all([startScaleDevnet(), startPostgres()])
  store = ManagedRuntime.make(Layer.fresh(routerStoreLayer({ databaseUrl: pg.url })))
  const [p0, p1] = net.providers.map((p) => p.providerAddress) as [string, string]
  // Each instance prefers another provider, so both providers see traffic from both instances' halves.
  children.push(...(await Promise.all([spawn("inst_a", [p0, p1]), spawn("inst_b", [p1, p0])])))
  totalBefore = await net.ledgerTotal()
})

afterAll(async () => {
  for (const c of children) {
    if (c.process.exitCode === null && c.process.signalCode === null) {
      c.process.kill("SIGTERM")
      await c.exited
    }
  }
  await store?.dispose()
  await net?.stop()
  await pg?.stop()
})

describe("two router processes on one Postgres server", () => {
  it(
    "1 000 chats from 20 keys over both: budgets hold, fees match the chain, only the lock holder funds",
    async () => {
      const [a, b] = children as [RouterChild, RouterChild]
      await until(async () => (await funding(a.url)).holder !== null, "an instance holds the funding lock")
      const holder = (await funding(a.url)).holder
      expect((await funding(b.url)).holder).toBe(holder)
      expect([(await funding(a.url)).holding, (await funding(b.url)).holding].filter(Boolean)).toHaveLength(1)

      keys = await createKeys(a.url, 20, 10, 500n * GWEI)
      const run = await runLoad({
        n: 1000,
        concurrency: 20,
        keys,
        urls: () => [a.url, b.url],
        onDone: async (done) => {
          if (done === 400 || done === 800) await net.settleAll()
        },
      })
      outcomes.push(...run)
      expect(new Set(run.map((o) => o.status))).toEqual(new Set([200, 402]))
      for (const c of children) expect(run.some((o) => o.url === c.url && o.status === 200)).toBe(true)
      await expectWithinBudgets(a.url, keys, run)
      const rows = await log()
      expectLoggedOnce(run, rows)
      await expectFeesAddUp(net, rows, totalBefore)

      // Both providers' balances fell under their low water mark: each was topped up, by the holder only.
      const report = await funding(b.url)
      for (const p of net.providers)
        expect(
          report.data.some(
            (e) => e.action === "TopUp" && e.provider?.toLowerCase() === p.providerAddress.toLowerCase(),
          ),
        ).toBe(true)
      const funders = new Set(report.data.filter((e) => e.action === "TopUp").map((e) => e.instance_id))
      expect(funders).toEqual(new Set([holder]))
      expect(report.data.filter((e) => e.action === "LockAcquired").map((e) => e.instance_id)).toEqual([holder])
    },
    TIMEOUT_MS,
  )

  it(
    "kill -9 of the holder mid-load: no answered request lost, the survivor takes over funding and reconciles",
    async () => {
      const holderId = (await funding(children[0]?.url ?? "")).holder
      if (holderId === null) throw new Error("nobody holds the funding lock")
      const victim = byId(holderId)
      const survivor = children.find((c) => c !== victim) as RouterChild
      let killedAt = 0
      const live = [victim.url, survivor.url]
      const generous = keys.filter((k) => k.budget >= 10n ** 18n)
      const run = await runLoad({
        n: 400,
        concurrency: 20,
        keys: generous,
        urls: () => live,
        onDone: (done) => {
          if (done !== 100) return
          killedAt = Date.now()
          victim.process.kill("SIGKILL")
          live.splice(0, live.length, survivor.url)
        },
      })
      outcomes.push(...run)
      await victim.exited
      expect(victim.process.signalCode).toBe("SIGKILL")
      expect(run.filter((o) => o.status === 200 && o.url === survivor.url).length).toBeGreaterThan(200)
      expect(run.filter((o) => o.status !== 200 && o.status !== 0)).toEqual([])

      // The survivor holds the lock and funds: a top-up it sent after the kill (its provider needed one).
      const after = async () => (await funding(survivor.url)).data.filter((e) => Date.parse(e.at) >= killedAt)
      await until(async () => (await after()).some((e) => e.action === "TopUp"), "the survivor tops up")
      const report = await funding(survivor.url)
      expect(report).toMatchObject({ holding: true, holder: survivor.instanceId })
      const since = await after()
      expect(
        since.filter((e) => e.action === "TopUp" || e.action === "LockAcquired").map((e) => e.instance_id),
      ).toEqual(since.filter((e) => e.action === "TopUp" || e.action === "LockAcquired").map(() => survivor.instanceId))
      expect(since.some((e) => e.action === "LockAcquired")).toBe(true)

      // The dead instance's requests in flight left reservations; the holder releases them after the deadline.
      await until(
        async () => (await store.runPromise(Spend.use((s) => s.totals()))).reserved === 0n,
        "the survivor releases the dead instance's reservations",
        60_000,
      )
      const rows = await log()
      expectLoggedOnce(outcomes, rows)
      await expectWithinBudgets(survivor.url, keys, outcomes)
      // What the providers billed but no log row names was in flight when the instance died: each such request holds
      // a reservation released as Reconciled, which bounds it.
      const logged = new Set(rows.flatMap((r) => (r.chatId === undefined ? [] : [r.chatId])))
      const unlogged = [...net.billed].filter(([id]) => !logged.has(id))
      const reconciled = rows.filter((r) => r.verdict === "Reconciled")
      expect(unlogged.length).toBeLessThanOrEqual(reconciled.length)
      expect(unlogged.reduce((s, [, fee]) => s + fee, 0n)).toBeLessThanOrEqual(
        reconciled.reduce((s, r) => s + r.reserved, 0n),
      )
      const totals = await store.runPromise(Spend.use((s) => s.totals()))
      expect(totals.logged).toBe(totals.spent)
      const settled = totalBefore - (await net.ledgerTotal())
      expect(rows.reduce((s, r) => s + r.fee, 0n) + unlogged.reduce((s, [, fee]) => s + fee, 0n)).toBe(
        net.unsettled() + settled,
      )
    },
    TIMEOUT_MS,
  )
})
