/**
 * Budgets as reservations, and the request log.
 *
 * `reserve` is ONE statement: a conditional UPDATE of the key's row (it holds the key's counters) that adds the
 * request's maximum cost to `reserved` only if the key is neither revoked nor expired, spent + reserved + cost fits
 * every budget and the minute's request and token counts fit the limits, chained (data-modifying CTE) to the INSERT
 * of the reservation row. Postgres re-evaluates an UPDATE's WHERE on the latest row version after waiting for a
 * concurrent writer, so concurrent requests — on one instance or many on one database — can never overshoot together.
 *
 * `settle` is one statement too: delete the reservation, move its amount from `reserved` to the actual fee in the
 * spent counters, and append the request to the log. A failed request settles with fee 0 (a release).
 * `reconcile` releases reservations not seen alive for their router's deadline (`ReservationDeadline`, stored with each
 * reservation; a running router `touch`es its own, so these are a stopped router's) and logs each as "Reconciled": on start, and periodically by the replica holding the funding lock,
 * funding.ts. A released reservation keeps its row with amount 0 (nothing is held for it any more): if its request was
 * in fact still running (its router's heartbeat stalled), its settle still adds the fee to the spent counters and the
 * log.
 */
import { randomBytes } from "node:crypto"
import { Context, Effect, Layer } from "effect"
import { attempt, big, Database, type Driver, num, type Row } from "./db.js"
import { type DatabaseFailed, KeyBudgetExceeded, KeyNotFound, KeyRateLimited, KeyRejected } from "./errors.js"
import { dayOf, KEY_COLUMNS, keyOfRow, minuteOf, monthOf } from "./keys.js"
import {
  int4,
  MAX_ALIVE_MS,
  RECONCILE,
  RELEASED_KEPT_MS,
  RESERVE,
  SETTLE,
  SETTLE_RETRY,
  TOUCH,
  text,
  textOrNull,
} from "./spend-sql.js"

export interface ReserveRequest {
  readonly keyId: string
  readonly amount: bigint
  readonly provider: string
  readonly model: string
  /**
   * Whether this reservation counts as a request against the per-minute limit. False for a failover attempt of a
   * request an earlier reservation already counted: one request of the caller is one request, whatever it took.
   */
  readonly countsRequest?: boolean
  /**
   * The most tokens the request can use (input bytes and output limit). Held against the key's tokens-per-minute
   * limit while the request runs, so concurrent requests cannot all start under the limit; settle replaces it by what
   * was used.
   */
  readonly tokens?: number
  /** When the reservation is made (Unix ms); now by default. Settle names it to take the held tokens back. */
  readonly at?: number
}

export interface Settlement {
  readonly reservationId: string
  readonly fee: bigint
  readonly provider: string
  readonly model: string
  readonly stream: boolean
  readonly promptTokens: number
  readonly completionTokens: number
  readonly verification: string | undefined
  readonly verdict: string
  readonly latencyMs: number
  readonly status: number
  readonly error: string | undefined
  /** The provider's id of the billed exchange (its signature key), when it named one. */
  readonly chatId?: string | undefined
  /** The reservation's `tokens` and `at`, so that the tokens it held in its minute are taken back. */
  readonly held?: { readonly tokens: number; readonly at: number }
}

export interface LoggedRequest {
  readonly id: number
  readonly at: number
  readonly keyId: string
  readonly provider: string
  readonly model: string
  readonly stream: boolean
  readonly promptTokens: number
  readonly completionTokens: number
  readonly fee: bigint
  readonly reserved: bigint
  readonly verification: string | undefined
  readonly verdict: string
  readonly latencyMs: number
  readonly status: number
  readonly error: string | undefined
  readonly chatId: string | undefined
}

export interface Breakdown {
  readonly minute: number
  readonly keyId: string
  readonly model: string
  readonly provider: string
  readonly verification: string | undefined
  readonly requests: number
  readonly fee: bigint
  readonly latencyMs: number
}

export interface SpendShape {
  /** Reserves `amount` for the key; the reservation id, or why it does not fit. */
  readonly reserve: (
    r: ReserveRequest,
  ) => Effect.Effect<string, KeyBudgetExceeded | KeyRateLimited | KeyRejected | KeyNotFound | DatabaseFailed>
  /** Ends a reservation with the actual fee (0 for a failed request) and logs the request. Idempotent. */
  readonly settle: (s: Settlement) => Effect.Effect<boolean, DatabaseFailed>
  /**
   * Releases the reservations whose router stopped vouching for them before `at` (Unix ms, default now: each is alive
   * until its router's deadline after its last heartbeat); returns how many.
   */
  readonly reconcile: (at?: number) => Effect.Effect<number, DatabaseFailed>
  /**
   * Marks the reservations this instance made and has not settled as alive for another deadline, so that a reconcile
   * by any replica releases only those of a router that stopped, never a long stream still running.
   */
  readonly touch: () => Effect.Effect<number, DatabaseFailed>
  /** The most recent requests, newest first. */
  readonly recent: (options?: {
    readonly keyId?: string
    readonly limit?: number
  }) => Effect.Effect<ReadonlyArray<LoggedRequest>, DatabaseFailed>
  /** Fees and requests since `since` (Unix ms), per minute × key × model × provider × verification level. */
  readonly breakdown: (since: number) => Effect.Effect<ReadonlyArray<Breakdown>, DatabaseFailed>
  /** Σ fee over the log and Σ spent over the keys (equal unless a write was lost). */
  readonly totals: () => Effect.Effect<
    { readonly logged: bigint; readonly spent: bigint; readonly reserved: bigint },
    DatabaseFailed
  >
}

const logged = (r: Row): LoggedRequest => ({
  id: num(r.id),
  at: num(r.at),
  keyId: String(r.key_id),
  provider: String(r.provider),
  model: String(r.model),
  stream: r.stream === true,
  promptTokens: num(r.prompt_tokens),
  completionTokens: num(r.completion_tokens),
  fee: big(r.fee),
  reserved: big(r.reserved),
  verification: r.verification === null ? undefined : String(r.verification),
  verdict: String(r.verdict),
  latencyMs: num(r.latency_ms),
  status: num(r.status),
  error: r.error === null ? undefined : String(r.error),
  chatId: r.chat_id === null || r.chat_id === undefined ? undefined : String(r.chat_id),
})

/** The default of {@link ReservationDeadline}: ten minutes. */
export const DEFAULT_RESERVATION_DEADLINE_MS = 600_000

/**
 * How long a reservation outlives the last sign of life from the router that made it (the reserve, then that router's
 * heartbeat every quarter of it); then any replica's reconcile releases it.
 */
export const ReservationDeadline = Context.Reference<number>("zg/router/ReservationDeadline", {
  defaultValue: () => DEFAULT_RESERVATION_DEADLINE_MS,
})

const makeSpend = (db: Driver, deadlineMs: number): SpendShape => {
  /** This instance's reservations not settled yet (a settle that failed too: the next reconcile releases it). */
  const open = new Map<string, number>()
  return {
    reserve: (r) =>
      Effect.gen(function* () {
        const now = r.at ?? Date.now()
        const id = `res_${randomBytes(12).toString("hex")}`
        const counts = r.countsRequest === false ? 0 : 1
        const params = [
          r.keyId,
          r.amount.toString(),
          dayOf(now),
          monthOf(now),
          minuteOf(now),
          now,
          id,
          text(r.provider),
          text(r.model),
          counts,
          int4(r.tokens ?? 0),
          now + deadlineMs,
        ]
        const rows = yield* attempt("reserve a budget", () => db.query(RESERVE, params))
        if (rows.length > 0) {
          open.set(id, now)
          return id
        }
        // Refused: read the row to say which limit stopped it (rate limits first, as a retry can cure them).
        const keys = yield* attempt("read a key", () =>
          db.query(`SELECT ${KEY_COLUMNS}, minute, minute_requests, minute_tokens FROM router_keys WHERE id = $1`, [
            r.keyId,
          ]),
        )
        const row = keys[0]
        if (row === undefined) return yield* new KeyNotFound({ keyId: r.keyId })
        const k = keyOfRow(row, now)
        // Revocation and expiry are checked here, in the statement, not only at authentication (which may be
        // answered from a cache): a key revoked on any replica is refused by its next reservation.
        if (k.revokedAt !== undefined) return yield* new KeyRejected({ reason: "revoked", keyId: k.id })
        if (k.expiresAt !== undefined && k.expiresAt <= now)
          return yield* new KeyRejected({ reason: "expired", keyId: k.id })
        const thisMinute = num(row.minute) === minuteOf(now)
        const retryAfter = 60 - Math.floor((now % 60_000) / 1000)
        if (k.requestsPerMinute !== undefined && thisMinute && num(row.minute_requests) + counts > k.requestsPerMinute)
          return yield* new KeyRateLimited({
            keyId: k.id,
            limit: "requests",
            perMinute: k.requestsPerMinute,
            retryAfter,
          })
        if (k.tokensPerMinute !== undefined && thisMinute && num(row.minute_tokens) >= k.tokensPerMinute)
          return yield* new KeyRateLimited({
            keyId: k.id,
            limit: "tokens",
            perMinute: k.tokensPerMinute,
            retryAfter,
          })
        const over = (
          [
            ["day", k.budgetDay, k.spentDay],
            ["month", k.budgetMonth, k.spentMonth],
            ["total", k.budgetTotal, k.spentTotal],
          ] as const
        ).find(([, b, s]) => b !== undefined && s + k.reserved + r.amount > b)
        const [period, budget, spent] = over ?? ["total", k.budgetTotal ?? 0n, k.spentTotal]
        return yield* new KeyBudgetExceeded({
          keyId: k.id,
          period,
          budget: budget ?? 0n,
          spent,
          reserved: k.reserved,
          required: r.amount,
        })
      }),
    settle: (s) =>
      Effect.map(
        attempt("settle a reservation", () => {
          open.delete(s.reservationId)
          const now = Date.now()
          return db.query(SETTLE, [
            s.reservationId,
            s.fee.toString(),
            dayOf(now),
            monthOf(now),
            minuteOf(now),
            int4(s.promptTokens + s.completionTokens),
            now,
            text(s.provider),
            text(s.model),
            s.stream,
            int4(s.promptTokens),
            int4(s.completionTokens),
            textOrNull(s.verification),
            text(s.verdict),
            int4(s.latencyMs),
            s.status,
            textOrNull(s.error),
            textOrNull(s.chatId),
            s.held === undefined ? -1 : minuteOf(s.held.at),
            int4(s.held?.tokens ?? 0),
          ])
        }).pipe(Effect.retry(SETTLE_RETRY)),
        (rows) => rows.length > 0,
      ),
    reconcile: (at) =>
      Effect.map(
        attempt("reconcile stale reservations", () => {
          const now = Date.now()
          return db.query(RECONCILE, [at ?? now, now, now - RELEASED_KEPT_MS])
        }),
        (rows) => rows.length,
      ),
    touch: () =>
      Effect.suspend(() => {
        const now = Date.now()
        // A request no settle will ever reach (a lost stream) is kept alive only so long, then reconciled.
        for (const [id, at] of open) if (at < now - MAX_ALIVE_MS) open.delete(id)
        if (open.size === 0) return Effect.succeed(0)
        const ids = [...open.keys()].join(",")
        return Effect.map(
          attempt("keep reservations alive", () => db.query(TOUCH, [ids, now + deadlineMs])),
          (rows) => rows.length,
        )
      }),
    recent: (o = {}) =>
      Effect.map(
        attempt("read the request log", () =>
          db.query(
            `SELECT id, at, key_id, provider, model, stream, prompt_tokens, completion_tokens, fee::text AS fee,
               reserved::text AS reserved, verification, verdict, latency_ms, status, error, chat_id
             FROM router_requests WHERE ($1::text IS NULL OR key_id = $1) ORDER BY id DESC LIMIT $2`,
            [o.keyId ?? null, o.limit ?? 100],
          ),
        ),
        (rows) => rows.map(logged),
      ),
    breakdown: (since) =>
      Effect.map(
        attempt("summarise the request log", () =>
          db.query(
            `SELECT at / 60000 AS minute, key_id, model, provider, verification, COUNT(*) AS requests,
               SUM(fee)::text AS fee, AVG(latency_ms) AS latency
             FROM router_requests WHERE at >= $1 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1`,
            [since],
          ),
        ),
        (rows) =>
          rows.map((r) => ({
            minute: num(r.minute),
            keyId: String(r.key_id),
            model: String(r.model),
            provider: String(r.provider),
            verification: r.verification === null ? undefined : String(r.verification),
            requests: num(r.requests),
            fee: big(r.fee),
            latencyMs: num(r.latency),
          })),
      ),
    totals: () =>
      Effect.map(
        attempt("sum the spend", () =>
          db.query(
            `SELECT (SELECT COALESCE(SUM(fee), 0) FROM router_requests)::text AS logged,
                    (SELECT COALESCE(SUM(spent_total), 0) FROM router_keys)::text AS spent,
                    (SELECT COALESCE(SUM(reserved), 0) FROM router_keys)::text AS reserved`,
          ),
        ),
        (rows) => ({ logged: big(rows[0]?.logged), spent: big(rows[0]?.spent), reserved: big(rows[0]?.reserved) }),
      ),
  }
}

export class Spend extends Context.Service<Spend, SpendShape>()("zg/router/Spend") {
  /** Needs `Database`; reads `ReservationDeadline`. */
  static readonly layer = Layer.effect(
    Spend,
    Effect.gen(function* () {
      return makeSpend(yield* Database, yield* ReservationDeadline)
    }),
  )
}
