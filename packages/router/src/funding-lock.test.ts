/**
 * The funding lock on a real Postgres server (started by the test on 127.0.0.1): two replicas (two connection pools)
 * compete; exactly one holds it at any time, as Postgres itself reports; a lost connection loses it; a clean stop hands
 * it over; and the holder releases a dead replica's stale reservations while running (not only on start).
 */
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Database } from "./db.js"
import { type FundingLeader, FundingLog, startFundingLeader } from "./funding.js"
import { Keys } from "./keys.js"
import { migrate } from "./migrations.js"
import { routerStoreLayer } from "./router.js"
import { Spend } from "./spend.js"
import { startPostgres, type TestPostgres } from "./testing/postgres.js"
import { until } from "./testing/until.js"

type Runtime = ManagedRuntime.ManagedRuntime<Keys | Spend | FundingLog | Database, unknown>
let pg: TestPostgres
let a: Runtime
let b: Runtime

beforeAll(async () => {
  pg = await startPostgres()
  a = ManagedRuntime.make(Layer.fresh(routerStoreLayer({ databaseUrl: pg.url })))
  b = ManagedRuntime.make(Layer.fresh(routerStoreLayer({ databaseUrl: pg.url })))
  await a.runPromise(migrate())
}, 60_000)
afterAll(async () => {
  await a?.dispose()
  await b?.dispose()
  await pg?.stop()
})

const startLeader = async (rt: Runtime, instanceId: string) => {
  const scope = Scope.makeUnsafe()
  const leader = await rt.runPromise(
    startFundingLeader({
      instanceId,
      providers: [],
      intervalMs: 100,
      funding: undefined,
    }).pipe(Scope.provide(scope)),
  )
  return { leader, stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const view = (rt: Runtime, l: FundingLeader) => rt.runPromise(l.view(200))

describe("the funding lock on a Postgres server", () => {
  it("one holder at a time; a dropped connection loses it; a clean stop hands it over", async () => {
    const la = await startLeader(a, "inst_a")
    await until(async () => (await view(a, la.leader)).holding, "inst_a holds the lock")
    const lb = await startLeader(b, "inst_b")
    // inst_b has tried several times and was refused every time.
    await until(async () => (await view(b, lb.leader)).ticks >= 3, "inst_b tried the lock")
    const seen = await view(b, lb.leader)
    expect(seen).toMatchObject({ holding: false, holder: "inst_a", enabled: false })
    expect((await view(a, la.leader)).holding).toBe(true)

    // Cut inst_a's lock connection, as a network failure would: Postgres frees the lock at once.
    const cut = await b.runPromise(
      Database.use((db) =>
        Effect.promise(() =>
          db.query(
            "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'zg-router:inst_a'",
          ),
        ),
      ),
    )
    expect(cut).toHaveLength(1)
    const lost = async () =>
      (await a.runPromise(FundingLog.use((l) => l.recent(200)))).some(
        (e) => e.instanceId === "inst_a" && e.action === "LockLost",
      )
    await until(lost, "inst_a noticed the lost lock")
    // Whoever took it next, exactly one replica holds it, and it is the one Postgres names.
    await until(async () => (await view(a, la.leader)).holding !== (await view(b, lb.leader)).holding, "one holder")
    const [va, vb] = [await view(a, la.leader), await view(b, lb.leader)]
    expect(va.holder).toBe(va.holding ? "inst_a" : "inst_b")
    expect(vb.holder).toBe(va.holder)

    // A clean stop of the holder releases the lock; the other takes it.
    const [holder, other] = va.holding ? [la, lb] : [lb, la]
    const [otherRt, otherId] = va.holding ? [b, "inst_b"] : [a, "inst_a"]
    await holder.stop()
    await until(async () => (await view(otherRt, other.leader)).holding, `${otherId} takes over after a clean stop`)
    expect((await view(otherRt, other.leader)).holder).toBe(otherId)
    const log = [...(await a.runPromise(FundingLog.use((l) => l.recent(200))))].reverse()
    const acquired = log.filter((e) => e.action === "LockAcquired").map((e) => e.instanceId)
    expect(acquired[0]).toBe("inst_a")
    expect(acquired.at(-1)).toBe(otherId)
    await other.stop()
  })

  it("the holder releases stale reservations (a dead replica's) while running; fresh ones stay", async () => {
    const { key } = await a.runPromise(Keys.use((k) => k.create({ label: "replica", budgetTotal: 10_000n })))
    const reserve = (amount: bigint) =>
      a.runPromise(Spend.use((s) => s.reserve({ keyId: key.id, amount, provider: "0xp", model: "m" })))
    const stale = await reserve(700n)
    await reserve(50n)
    // As if a replica died with this request in flight an hour ago.
    await a.runPromise(
      Database.use((db) =>
        Effect.promise(() =>
          db.query("UPDATE router_reservations SET alive_until = alive_until - 3600000 WHERE id = $1", [stale]),
        ),
      ),
    )
    expect((await a.runPromise(Keys.use((k) => k.get(key.id)))).reserved).toBe(750n)
    const l = await startLeader(b, "inst_c")
    try {
      await until(
        async () => (await b.runPromise(Keys.use((k) => k.get(key.id)))).reserved === 50n,
        "the holder released the stale reservation",
      )
      const rows = await b.runPromise(Spend.use((s) => s.recent({ keyId: key.id })))
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ verdict: "Reconciled", reserved: 700n, fee: 0n })
      expect((await view(b, l.leader)).holding).toBe(true)
    } finally {
      await l.stop()
    }
  })
})
