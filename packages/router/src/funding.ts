/**
 * Funding with one writer. Several router replicas share one wallet; if two sent top-ups they would race each other's
 * nonces and could pay twice. So only the replica holding a Postgres *session* advisory lock funds: it takes the lock
 * on a connection of its own (outside the pool) kept for its whole life, and Postgres releases the lock when that
 * connection ends (a clean stop, a crash, `kill -9`, a network cut). The others retry every interval and one of them
 * takes over. On PGlite (one process) the single instance simply holds it.
 *
 * Each tick the holder first checks, on the lock's own connection, that Postgres still grants it the lock (a dropped
 * and silently re-opened connection would not), then releases reservations older than the deadline — requests of a
 * replica that died mid-request — and runs `Funding.ensure` (inference's bounded top-up) for every provider. Every
 * action (lock taken or lost, top-up, failed check) is appended to `router_funding`.
 */
import { formatZG } from "@0g-compute/core"
import type { Funding, FundingPolicy } from "@0g-compute/inference"
import { Context, Effect, Layer, Schema, Scope } from "effect"
import { attempt, big, Database, type Driver, num, type Sql } from "./db.js"
import type { DatabaseFailed } from "./errors.js"
import { Spend } from "./spend.js"

/** The advisory lock key every replica competes for (distinct from the migration lock, 7071001). */
export const FUNDING_LOCK_ID = 7071002
const APP_PREFIX = "zg-router:"

export type FundingAction = "LockAcquired" | "LockLost" | "TopUp" | "Failed"

export interface FundingEntry {
  readonly id: number
  readonly at: number
  readonly instanceId: string
  readonly provider: string | undefined
  readonly action: FundingAction
  /** Neuron transferred (0 unless a top-up). */
  readonly amount: bigint
  readonly txHash: string | undefined
  readonly detail: string | undefined
}

export interface FundingLogShape {
  readonly record: (e: Omit<FundingEntry, "id" | "at">) => Effect.Effect<void, DatabaseFailed>
  /** Newest first. */
  readonly recent: (limit?: number) => Effect.Effect<ReadonlyArray<FundingEntry>, DatabaseFailed>
  /** The instance Postgres sees holding the funding lock now (undefined: nobody, or PGlite). */
  readonly holder: () => Effect.Effect<string | undefined, DatabaseFailed>
}

const entryOf = (r: Record<string, unknown>): FundingEntry => ({
  id: num(r.id),
  at: num(r.at),
  instanceId: String(r.instance_id),
  provider: r.provider === null ? undefined : String(r.provider),
  action: String(r.action) as FundingAction,
  amount: big(r.amount),
  txHash: r.tx_hash === null ? undefined : String(r.tx_hash),
  detail: r.detail === null ? undefined : String(r.detail),
})

const makeFundingLog = (db: Driver): FundingLogShape => ({
  record: (e) =>
    Effect.asVoid(
      attempt("record a funding action", () =>
        db.query(
          `INSERT INTO router_funding (at, instance_id, provider, action, amount, tx_hash, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            Date.now(),
            e.instanceId,
            e.provider ?? null,
            e.action,
            e.amount.toString(),
            e.txHash ?? null,
            e.detail ?? null,
          ],
        ),
      ),
    ),
  recent: (limit = 100) =>
    Effect.map(
      attempt("read the funding log", () =>
        db.query(
          `SELECT id, at, instance_id, provider, action, amount::text AS amount, tx_hash, detail
             FROM router_funding ORDER BY id DESC LIMIT $1`,
          [limit],
        ),
      ),
      (rows) => rows.map(entryOf),
    ),
  holder: () =>
    db.kind === "pglite"
      ? Effect.succeed(undefined)
      : Effect.map(
          attempt("read the funding lock", () =>
            db.query(
              `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1 AND l.granted`,
              [FUNDING_LOCK_ID],
            ),
          ),
          (rows) => {
            const name = rows[0]?.name
            return typeof name === "string" && name.startsWith(APP_PREFIX) ? name.slice(APP_PREFIX.length) : undefined
          },
        ),
})

export class FundingLog extends Context.Service<FundingLog, FundingLogShape>()("zg/router/FundingLog") {
  static readonly layer = Layer.effect(FundingLog, Effect.map(Database, makeFundingLog))
}

export interface RouterFundingOptions {
  /** How often the holder checks balances (and the others try the lock). Default 30 000 ms. */
  readonly intervalMs?: number
  /**
   * Bounds of each top-up (inference's `FundingPolicy`). With several replicas, `unsettledMargin` must cover what the
   * other replicas spend between settlements: the holder's own count does not include their requests.
   */
  readonly policy?: FundingPolicy
}

export interface FundingView {
  readonly instanceId: string
  readonly enabled: boolean
  readonly intervalMs: number | undefined
  /** This instance holds the funding lock. */
  readonly holding: boolean
  /** Lock checks this instance made so far. */
  readonly ticks: number
  /** Who holds it, as the database sees it (this instance on PGlite). */
  readonly holder: string | undefined
  readonly recent: ReadonlyArray<FundingEntry>
}

/** `GET /admin/funding`, as it crosses the wire (money as decimal 0G). */
export const FundingReport = Schema.Struct({
  instance_id: Schema.String,
  enabled: Schema.Boolean,
  interval_ms: Schema.NullOr(Schema.Number),
  /** Lock contests this instance ran so far (each followed by its funding work when it holds the lock). */
  checks: Schema.Number,
  holding: Schema.Boolean,
  holder: Schema.NullOr(Schema.String),
  data: Schema.Array(
    Schema.Struct({
      id: Schema.Number,
      at: Schema.String,
      instance_id: Schema.String,
      provider: Schema.NullOr(Schema.String),
      action: Schema.Literals(["LockAcquired", "LockLost", "TopUp", "Failed"]),
      amount: Schema.String,
      tx_hash: Schema.NullOr(Schema.String),
      detail: Schema.NullOr(Schema.String),
    }),
  ),
})
export type FundingReport = typeof FundingReport.Type

export const fundingJson = (v: FundingView): FundingReport => ({
  instance_id: v.instanceId,
  enabled: v.enabled,
  interval_ms: v.intervalMs ?? null,
  checks: v.ticks,
  holding: v.holding,
  holder: v.holder ?? null,
  data: v.recent.map((e) => ({
    id: e.id,
    at: new Date(e.at).toISOString(),
    instance_id: e.instanceId,
    provider: e.provider ?? null,
    action: e.action,
    amount: formatZG(e.amount),
    tx_hash: e.txHash ?? null,
    detail: e.detail ?? null,
  })),
})

/** The session lock on the instance's own connection: `check` answers whether Postgres grants it to us now. */
const lockOn = (db: Driver, instanceId: string) => {
  let conn: (Sql & { release: () => Promise<void> }) | undefined
  const drop = async () => {
    const c = conn
    conn = undefined
    await c?.release().catch(() => undefined)
  }
  const held = async (c: Sql) =>
    (
      await c.query(
        `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $1
           AND objsubid = 1 AND granted AND pid = pg_backend_pid()`,
        [FUNDING_LOCK_ID],
      )
    ).map((r) => num(r.n))[0] === 1
  return {
    /**
     * `kept`: held since the last check; `acquired`: taken now (again, if it was lost in between); `none`: another
     * instance has it, or the database is unreachable. A broken connection is dropped and re-opened next time.
     */
    check: async (): Promise<"kept" | "acquired" | "none"> => {
      if (db.kind === "pglite") return "kept"
      try {
        conn ??= await db.reserve()
        if (await held(conn)) return "kept"
        // Named on every attempt: a connection the driver re-opened behind our back starts without the name.
        await conn.query("SELECT set_config('application_name', $1, false)", [`${APP_PREFIX}${instanceId}`])
        const got = await conn.query("SELECT pg_try_advisory_lock($1::bigint) AS ok", [FUNDING_LOCK_ID])
        return got[0]?.ok === true ? "acquired" : "none"
      } catch {
        await drop()
        return "none"
      }
    },
    release: async () => {
      if (conn !== undefined) await conn.query("SELECT pg_advisory_unlock_all()").catch(() => undefined)
      await drop()
    },
  }
}

export interface FundingLeaderOptions {
  readonly instanceId: string
  readonly providers: ReadonlyArray<string>
  /** How often the holder works and the others try the lock. */
  readonly intervalMs: number
  /** Inference's `Funding` and the policy; undefined: no top-ups (the holder still takes the lock and reconciles). */
  readonly funding: { readonly service: Funding["Service"]; readonly policy: FundingPolicy | undefined } | undefined
}

export interface FundingLeader {
  readonly view: (limit?: number) => Effect.Effect<FundingView, DatabaseFailed>
}

export const DEFAULT_FUNDING_INTERVAL_MS = 30_000

/**
 * Competes for the funding lock for the life of the scope; the tick loop runs in a fiber of the scope and the lock is
 * released when the scope closes (a clean stop hands over at once). A tick is uninterruptible: a stop waits for a
 * top-up in flight to be mined and recorded.
 */
export const startFundingLeader = (o: FundingLeaderOptions) =>
  Effect.gen(function* () {
    const db = yield* Database
    const log = yield* FundingLog
    const spend = yield* Spend
    const funding = o.funding
    const interval = Math.max(50, o.intervalMs)
    const lock = lockOn(db, o.instanceId)
    yield* Effect.addFinalizer(() => Effect.promise(() => lock.release()))
    let holding = false
    /** The last failure (tag) logged per provider: a failing check is logged when it starts or changes. */
    const lastFailure = new Map<string, string>()
    const record = (e: Omit<FundingEntry, "id" | "at" | "instanceId">) =>
      Effect.ignore(log.record({ ...e, instanceId: o.instanceId }))

    const fund = (provider: string) =>
      Effect.gen(function* () {
        if (funding === undefined) return
        const result = yield* Effect.result(funding.service.ensure(provider, funding.policy))
        if (result._tag === "Success") {
          lastFailure.delete(provider)
          const { tx, transferred } = result.success
          if (tx !== undefined || transferred > 0n)
            yield* record({ provider, action: "TopUp", amount: transferred, txHash: tx?.hash, detail: undefined })
          return
        }
        const e = result.failure
        // Keyed by tag: a repeated dispute carries new amounts each time but is the same condition.
        if (lastFailure.get(provider) === e._tag) return
        lastFailure.set(provider, e._tag)
        const detail = `${e._tag}: ${e.message}`
        const hash = (e as { hash?: unknown }).hash
        yield* record({
          provider,
          action: "Failed",
          amount: 0n,
          txHash: typeof hash === "string" ? hash : undefined,
          detail,
        })
      })

    const mark = (action: "LockAcquired" | "LockLost") =>
      record({ provider: undefined, action, amount: 0n, txHash: undefined, detail: undefined })
    let ticks = 0
    const contend = Effect.gen(function* () {
      const got = yield* Effect.promise(() => lock.check())
      ticks++
      if (got === "kept" && !holding) {
        holding = true // PGlite: one process, the lock is ours from the start
        yield* mark("LockAcquired")
      } else if (got === "acquired") {
        if (holding) yield* mark("LockLost") // lost and re-taken between two ticks
        holding = true
        lastFailure.clear()
        yield* mark("LockAcquired")
      } else if (got === "none" && holding) {
        holding = false
        yield* mark("LockLost")
      }
    })
    const work = Effect.gen(function* () {
      if (!holding) return
      yield* Effect.ignore(spend.reconcile())
      for (const p of o.providers) yield* fund(p)
    })

    // The first contest before start returns: a router knows from its first answer whether it holds the lock.
    yield* contend
    const scope = yield* Scope.Scope
    const loop = Effect.forever(
      Effect.gen(function* () {
        yield* Effect.uninterruptible(work)
        yield* Effect.sleep(interval)
        yield* Effect.uninterruptible(contend)
      }),
    )
    yield* Effect.forkIn(loop, scope)

    return {
      view: (limit = 50) =>
        Effect.gen(function* () {
          const [holder, recent] = yield* Effect.all([log.holder(), log.recent(limit)], { concurrency: 2 })
          return {
            instanceId: o.instanceId,
            enabled: funding !== undefined,
            intervalMs: funding === undefined ? undefined : interval,
            holding,
            ticks,
            holder: db.kind === "pglite" ? (holding ? o.instanceId : undefined) : holder,
            recent,
          } satisfies FundingView
        }),
    } satisfies FundingLeader
  })
