/**
 * The router's state on an embedded PGlite in a temp data directory: migrations run once, keys are stored only as
 * hashes, reservations are atomic under concurrency, rate limits, settlement, reconciliation of stale reservations,
 * and a reopen that keeps everything.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { useStarted } from "@0g-compute/core/testing/hooks"
import { Cause, Effect, Exit, Layer, Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { Database } from "./db.js"
import { type CreateKeyOptions, hashSecret, Keys } from "./keys.js"
import { migrate } from "./migrations.js"
import { routerStoreLayer } from "./router.js"
import { ReservationDeadline, Spend } from "./spend.js"
import { settlement } from "./testing/settlement.js"

const env = useStarted(async (onStop) => {
  const dir = mkdtempSync(join(tmpdir(), "zg-router-store-"))
  onStop(() => rmSync(dir, { recursive: true, force: true }))
  return { dir }
})

const withStore = <A, E>(f: Effect.Effect<A, E, Database | Keys | Spend>) =>
  Effect.runPromise(Effect.scoped(Effect.provide(f, routerStoreLayer({ dataDir: env.dir }))))

const hourDeadline = Layer.succeed(ReservationDeadline, 3_600_000)

/** The store's services and a key just created with `options`: how most tests below begin. */
const newKey = (options: CreateKeyOptions) =>
  Effect.gen(function* () {
    const keys = yield* Keys
    const spend = yield* Spend
    const { key } = yield* keys.create(options)
    return { keys, spend, key }
  })

describe("router store (PGlite)", () => {
  let keyId = ""
  let secret = ""

  it("migrates once, creates a key stored only as a hash, and reserves atomically under concurrency", async () => {
    await withStore(
      Effect.gen(function* () {
        expect(yield* migrate()).toEqual([1, 2, 3])
        expect(yield* migrate()).toEqual([])
        const keys = yield* Keys
        const created = yield* keys.create({ label: "team-a", budgetTotal: 1000n, requestsPerMinute: 100 })
        secret = Redacted.value(created.secret)
        keyId = created.key.id
        expect(secret).toMatch(/^zgr-[A-Za-z0-9_-]{43}$/)
        expect(String(created.secret)).not.toContain(secret)
        const db = yield* Database
        const rows = yield* Effect.promise(() => db.query("SELECT * FROM router_keys"))
        expect(JSON.stringify(rows)).not.toContain(secret)
        expect(rows[0]?.secret_hash).toBe(hashSecret(secret))
        expect((yield* keys.authenticate(secret)).id).toBe(keyId)

        // 16 concurrent reservations of 150 against a budget of 1000: exactly 6 fit.
        const spend = yield* Spend
        const results = yield* Effect.all(
          Array.from({ length: 16 }, () =>
            Effect.exit(spend.reserve({ keyId, amount: 150n, provider: "0xp", model: "m" })),
          ),
          { concurrency: "unbounded" },
        )
        const ok = results.filter(Exit.isSuccess)
        expect(ok).toHaveLength(6)
        const refused = results.filter(Exit.isFailure).map((e) => (Cause.squash(e.cause) as { _tag: string })._tag)
        expect(new Set(refused)).toEqual(new Set(["KeyBudgetExceeded"]))
        expect((yield* keys.get(keyId)).reserved).toBe(900n)
        // Settle four to their actual fee, release one (a failed request), leave one open (a crash).
        const ids = ok.map((e) => e.value)
        for (const id of ids.slice(0, 4)) expect(yield* spend.settle(settlement(id, 100n))).toBe(true)
        expect(yield* spend.settle(settlement(ids[0] ?? "", 100n))).toBe(false) // idempotent
        expect(
          yield* spend.settle({ ...settlement(ids[4] ?? "", 0n), status: 502, verdict: "ProviderUnreachable" }),
        ).toBe(true)
        const k = yield* keys.get(keyId)
        expect(k.spentTotal).toBe(400n)
        expect(k.reserved).toBe(150n)
        expect(k.remaining).toBe(450n)
        const totals = yield* spend.totals()
        expect(totals).toEqual({ logged: 400n, spent: 400n, reserved: 150n })
      }),
    )
  })

  it("keeps keys, spend and the log across a reopen, and reconciles a stale reservation on start", async () => {
    await withStore(
      Effect.gen(function* () {
        expect(yield* migrate()).toEqual([])
        const keys = yield* Keys
        const spend = yield* Spend
        const k = yield* keys.get(keyId)
        expect(k.spentTotal).toBe(400n)
        expect(k.reserved).toBe(150n)
        expect((yield* spend.recent()).length).toBe(5)
        // A fresh reservation is not stale; the one left open before the reopen is.
        const fresh = yield* spend.reserve({ keyId, amount: 10n, provider: "0xp", model: "m" })
        expect(yield* spend.reconcile()).toBe(0)
        const db = yield* Database
        yield* Effect.promise(() =>
          db.query("UPDATE router_reservations SET alive_until = alive_until - 3600000 WHERE id <> $1", [fresh]),
        )
        expect(yield* spend.reconcile()).toBe(1)
        const after = yield* keys.get(keyId)
        expect(after.reserved).toBe(10n)
        expect(after.spentTotal).toBe(400n)
        const [last] = yield* spend.recent({ limit: 1 })
        expect(last).toMatchObject({ verdict: "Reconciled", fee: 0n, reserved: 150n, keyId })
      }),
    )
  })

  it("a request still running when its reservation was reconciled counts its whole fee when it settles", async () => {
    await withStore(
      Effect.gen(function* () {
        const { keys, spend, key } = yield* newKey({ label: "long stream", budgetTotal: 1000n })
        const running = yield* spend.reserve({ keyId: key.id, amount: 300n, provider: "0xp", model: "m" })
        // Another replica starts (or the funding holder ticks) while the request is still streaming.
        expect(yield* spend.reconcile(Date.now() + 3_600_000)).toBeGreaterThanOrEqual(1)
        expect((yield* keys.get(key.id)).reserved).toBe(0n)
        expect(yield* spend.reconcile(Date.now() + 3_600_000)).toBe(0) // released once, not twice
        expect(yield* spend.settle(settlement(running, 120n))).toBe(true)
        expect(yield* spend.settle(settlement(running, 120n))).toBe(false)
        const after = yield* keys.get(key.id)
        expect(after).toMatchObject({ spentTotal: 120n, reserved: 0n, remaining: 880n })
        const log = yield* spend.recent({ keyId: key.id })
        expect(log.map((r) => [r.verdict, r.fee])).toEqual([
          ["Verified", 120n],
          ["Reconciled", 0n],
        ])
        const totals = yield* spend.totals()
        expect(totals.logged).toBe(totals.spent)
      }),
    )
  })

  it("keeps this instance's running reservations alive, so a reconcile releases only a stopped router's", async () => {
    await withStore(
      Effect.gen(function* () {
        const { keys, spend, key } = yield* newKey({ label: "alive" })
        const db = yield* Database
        const running = yield* spend.reserve({ keyId: key.id, amount: 50n, provider: "0xp", model: "m" })
        yield* Effect.promise(() =>
          db.query("UPDATE router_reservations SET alive_until = alive_until - 3600000 WHERE id = $1", [running]),
        )
        expect(yield* spend.touch()).toBe(1) // the heartbeat of the router serving it
        yield* spend.reconcile()
        expect((yield* keys.get(key.id)).reserved).toBe(50n)
        expect(yield* spend.settle(settlement(running, 20n))).toBe(true)
        expect(yield* spend.touch()).toBe(0) // settled: no longer this instance's to keep alive
        expect(yield* keys.get(key.id)).toMatchObject({ reserved: 0n, spentTotal: 20n })
      }),
    )
  })

  it("holds a running request's most tokens against tokens per minute, so a burst cannot all start under it", async () => {
    await withStore(
      Effect.gen(function* () {
        const { spend, key } = yield* newKey({ label: "tpm burst", tokensPerMinute: 100 })
        const at = Date.now() // one minute for both reservations, whatever the clock does
        const reserve = (tokens: number, when: number) =>
          spend.reserve({ keyId: key.id, amount: 1n, provider: "0xp", model: "m", tokens, at: when })
        const running = yield* reserve(500, at)
        expect(yield* Effect.flip(reserve(10, at))).toMatchObject({ _tag: "KeyRateLimited", limit: "tokens" })
        // Settled at 3 + 4 tokens: what it held is given back, so the next request fits again.
        expect(yield* spend.settle({ ...settlement(running, 1n), held: { tokens: 500, at } })).toBe(true)
        yield* reserve(10, Date.now())
      }),
    )
  })

  it("a NUL in a caller's model name or a provider's error text does not fail the reservation or its settle", async () => {
    await withStore(
      Effect.gen(function* () {
        const { keys, spend, key } = yield* newKey({ label: "nul", budgetTotal: 1000n })
        const id = yield* spend.reserve({ keyId: key.id, amount: 10n, provider: "0xp", model: "img\0model" })
        const settled = { ...settlement(id, 7n), model: "img\0model", error: "upstream said \0 no", status: 502 }
        expect(yield* spend.settle(settled)).toBe(true)
        const [row] = yield* spend.recent({ keyId: key.id })
        expect(row).toMatchObject({ model: "imgmodel", error: "upstream said  no", fee: 7n })
        expect(yield* Effect.flip(keys.create({ label: "a\0b" }))).toMatchObject({ field: "label" })
        expect(yield* Effect.flip(keys.create({ label: "x", models: ["m\0"] }))).toMatchObject({ field: "models" })
      }),
    )
  })

  it("refuses revoked and expired keys, enforces the per-minute request limit, validates options", async () => {
    await withStore(
      Effect.gen(function* () {
        const keys = yield* Keys
        const spend = yield* Spend
        const limited = yield* keys.create({ label: "rpm", requestsPerMinute: 2 })
        for (let i = 0; i < 2; i++)
          yield* spend.reserve({ keyId: limited.key.id, amount: 1n, provider: "0xp", model: "m" })
        const third = yield* Effect.flip(
          spend.reserve({ keyId: limited.key.id, amount: 1n, provider: "0xp", model: "m" }),
        )
        expect(third).toMatchObject({ _tag: "KeyRateLimited", limit: "requests", perMinute: 2 })
        yield* keys.revoke(limited.key.id)
        expect(yield* Effect.flip(keys.authenticate(Redacted.value(limited.secret)))).toMatchObject({
          _tag: "KeyRejected",
          reason: "revoked",
        })
        expect(yield* Effect.flip(keys.authenticate("zgr-nope"))).toMatchObject({ reason: "unknown" })
        expect(yield* Effect.flip(keys.create({ label: "x", budgetDay: "-1" }))).toMatchObject({
          _tag: "InvalidKeyOptions",
          field: "budgetDay",
        })
        expect(yield* Effect.flip(keys.create({ label: "x", expiresAt: Date.now() - 1 }))).toMatchObject({
          field: "expiresAt",
        })
        expect(yield* Effect.flip(keys.revoke("key_missing"))).toMatchObject({ _tag: "KeyNotFound" })

        // Tokens per minute count settled tokens: admitted while the minute's total is under the limit.
        const tpm = yield* keys.create({ label: "tpm", tokensPerMinute: 5 })
        const first = yield* spend.reserve({ keyId: tpm.key.id, amount: 1n, provider: "0xp", model: "m" })
        yield* spend.settle(settlement(first, 1n)) // 3 + 4 tokens
        expect(
          yield* Effect.flip(spend.reserve({ keyId: tpm.key.id, amount: 1n, provider: "0xp", model: "m" })),
        ).toMatchObject({
          _tag: "KeyRateLimited",
          limit: "tokens",
        })
        // A day budget binds before a larger total one.
        const daily = yield* keys.create({ label: "daily", budgetDay: 100n, budgetTotal: 1000n })
        yield* spend.reserve({ keyId: daily.key.id, amount: 60n, provider: "0xp", model: "m" })
        expect(
          yield* Effect.flip(spend.reserve({ keyId: daily.key.id, amount: 60n, provider: "0xp", model: "m" })),
        ).toMatchObject({
          _tag: "KeyBudgetExceeded",
          period: "day",
          budget: 100n,
          reserved: 60n,
          required: 60n,
        })
      }),
    )
  })

  it("a reservation lives by its own router's deadline: a replica with a shorter one does not release it early", async () => {
    await withStore(
      Effect.gen(function* () {
        const { keys, spend, key } = yield* newKey({ label: "patient", budgetTotal: 1000n })
        // Another replica on this database, started with an hour's deadline (this one keeps the default ten minutes).
        const patient = yield* Effect.provide(Spend, Layer.fresh(Spend.layer).pipe(Layer.provide(hourDeadline)))
        yield* patient.reserve({ keyId: key.id, amount: 100n, provider: "0xp", model: "m" })
        // Twenty minutes on, past this replica's own deadline but within the owner's: still held.
        yield* spend.reconcile(Date.now() + 20 * 60_000)
        expect((yield* keys.get(key.id)).reserved).toBe(100n)
        // Past the owner's deadline too (its router stopped): released.
        yield* spend.reconcile(Date.now() + 2 * 3_600_000)
        expect((yield* keys.get(key.id)).reserved).toBe(0n)
      }),
    )
  })
})
