/**
 * The same schema and statements on a real Postgres server (started by the test on 127.0.0.1): two store instances
 * (two connection pools, as two router replicas would have) migrate concurrently — each migration applies once — and
 * reserve concurrently against one key's budget without overshooting it; a key revoked on one is refused by the
 * other's next reservation even while the other's authentication cache still holds it.
 */
import { useStarted } from "@0g-compute/core/testing/hooks"
import { Cause, Exit, Layer, ManagedRuntime, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import type { Database } from "./db.js"
import { Keys } from "./keys.js"
import { migrate } from "./migrations.js"
import { routerStoreLayer } from "./router.js"
import { Spend } from "./spend.js"
import { startPostgres } from "./testing/postgres.js"
import { settlement } from "./testing/settlement.js"

/** One store instance (its own connection pool), as a router replica holds it. */
type Instance = ManagedRuntime.ManagedRuntime<Keys | Spend | Database, unknown>

const env = useStarted(async (onStop) => {
  const pg = await startPostgres()
  onStop(() => pg.stop())
  const instance = (): Instance => {
    const rt = ManagedRuntime.make(Layer.fresh(routerStoreLayer({ databaseUrl: pg.url })))
    onStop(() => rt.dispose())
    return rt
  }
  return { pg, a: instance(), b: instance() }
})

describe("router store on a Postgres server", () => {
  it("two instances migrate at once: each migration is applied exactly once", async () => {
    const { a, b } = env
    const [x, y] = await Promise.all([a.runPromise(migrate()), b.runPromise(migrate())])
    expect([...x, ...y].sort()).toEqual([1, 2, 3])
  })

  it("reservations from two instances never overshoot a key's budget; settle and totals agree", async () => {
    const { a, b } = env
    const created = await a.runPromise(Keys.use((k) => k.create({ label: "shared", budgetTotal: 1000n })))
    const id = created.key.id
    const reserve = (rt: Instance) =>
      rt.runPromiseExit(Spend.use((s) => s.reserve({ keyId: id, amount: 150n, provider: "0xp", model: "m" })))
    const exits = await Promise.all(Array.from({ length: 24 }, (_, i) => reserve(i % 2 === 0 ? a : b)))
    const ok = exits.filter(Exit.isSuccess)
    expect(ok).toHaveLength(6)
    const refused = exits.filter(Exit.isFailure).map((e) => (Cause.squash(e.cause) as { _tag: string })._tag)
    expect(new Set(refused)).toEqual(new Set(["KeyBudgetExceeded"]))
    for (const [i, e] of ok.entries())
      await (i % 2 === 0 ? a : b).runPromise(Spend.use((s) => s.settle(settlement(e.value, 100n))))
    const key = await b.runPromise(Keys.use((k) => k.get(id)))
    expect(key).toMatchObject({ spentTotal: 600n, reserved: 0n, remaining: 400n })
    expect(await a.runPromise(Spend.use((s) => s.totals()))).toEqual({ logged: 600n, spent: 600n, reserved: 0n })
  })

  it("two instances reconciling at once release each stale reservation once; a late settle still counts", async () => {
    const { a, b } = env
    const created = await a.runPromise(Keys.use((k) => k.create({ label: "reconciled", budgetTotal: 1000n })))
    const id = created.key.id
    const ids = await Promise.all(
      [100n, 200n, 300n].map((amount) =>
        a.runPromise(Spend.use((s) => s.reserve({ keyId: id, amount, provider: "0xp", model: "m" }))),
      ),
    )
    const reconcile = (rt: Instance) => rt.runPromise(Spend.use((s) => s.reconcile(Date.now() + 3_600_000)))
    const released = await Promise.all([reconcile(a), reconcile(b), reconcile(a), reconcile(b)])
    expect(released.reduce((x, y) => x + y, 0)).toBe(3)
    expect(await b.runPromise(Keys.use((k) => k.get(id)))).toMatchObject({ reserved: 0n, remaining: 1000n })
    const settled = await b.runPromise(Spend.use((s) => s.settle(settlement(ids[1] ?? "", 150n))))
    expect(settled).toBe(true)
    expect(await a.runPromise(Keys.use((k) => k.get(id)))).toMatchObject({ spentTotal: 150n, reserved: 0n })
    const log = await a.runPromise(Spend.use((s) => s.recent({ keyId: id })))
    expect(
      log
        .filter((r) => r.verdict === "Reconciled")
        .map((r) => r.reserved)
        .sort(),
    ).toEqual([100n, 200n, 300n])
    // Released rows are no longer kept alive; a running one is (the statement on a real server).
    expect(await a.runPromise(Spend.use((s) => s.touch()))).toBe(0)
    await a.runPromise(Spend.use((s) => s.reserve({ keyId: id, amount: 1n, provider: "0xp", model: "m" })))
    expect(await a.runPromise(Spend.use((s) => s.touch()))).toBe(1)
  })

  it("a settle while the database restarts is retried: the request's fee is not lost", async () => {
    const { pg, a, b } = env
    const created = await a.runPromise(Keys.use((k) => k.create({ label: "outage", budgetTotal: 1000n })))
    const id = created.key.id
    const reservation = await a.runPromise(
      Spend.use((s) => s.reserve({ keyId: id, amount: 100n, provider: "0xp", model: "m" })),
    )
    const restarted = pg.restart() // killed before this returns: every pooled connection is cut
    const settled = a.runPromise(Spend.use((s) => s.settle(settlement(reservation, 40n))))
    await restarted
    expect(await settled).toBe(true)
    expect(await b.runPromise(Keys.use((k) => k.get(id)))).toMatchObject({ spentTotal: 40n, reserved: 0n })
  })

  it("a key revoked on one instance is refused by the other's next reservation, though its cache still knows it", async () => {
    const { a, b } = env
    const created = await a.runPromise(Keys.use((k) => k.create({ label: "revoke me" })))
    const secret = Redacted.value(created.secret)
    const reserve = () =>
      b.runPromiseExit(Spend.use((s) => s.reserve({ keyId: created.key.id, amount: 1n, provider: "0xp", model: "m" })))
    const cached = () => b.runPromise(Keys.use((k) => k.authenticate(secret, { cached: true })))
    expect((await cached()).id).toBe(created.key.id)
    expect(Exit.isSuccess(await reserve())).toBe(true)
    await a.runPromise(Keys.use((k) => k.revoke(created.key.id)))
    // Instance b answers authentication from its cache (no statement)...
    expect((await cached()).id).toBe(created.key.id)
    // ...but the reservation, the step before anything is sent, is refused in its one statement.
    const refused = await reserve()
    expect(Exit.isFailure(refused) && Cause.squash(refused.cause)).toMatchObject({
      _tag: "KeyRejected",
      reason: "revoked",
      keyId: created.key.id,
    })
    const fresh = await b.runPromiseExit(Keys.use((k) => k.authenticate(secret)))
    expect(Exit.isFailure(fresh) && Cause.squash(fresh.cause)).toMatchObject({ _tag: "KeyRejected", reason: "revoked" })
  })
})
