/**
 * Versioned schema migrations. Each runs once, in order, inside one transaction that also records it in
 * `router_migrations`; a transaction-scoped advisory lock makes concurrent starts (replicas) apply each exactly once.
 *
 * Money columns are NUMERIC(78,0) neuron (uint256 range); times are Unix ms in int8.
 */
import { Effect } from "effect"
import { attempt, Database, num } from "./db.js"

export interface Migration {
  readonly version: number
  readonly name: string
  readonly statements: ReadonlyArray<string>
}

const MONEY = "NUMERIC(78,0)"

export const MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: "keys, reservations, request log",
    statements: [
      `CREATE TABLE router_keys (
        id TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        secret_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        revoked_at BIGINT,
        last_used_at BIGINT,
        allowed_models TEXT,
        allowed_providers TEXT,
        budget_day ${MONEY},
        budget_month ${MONEY},
        budget_total ${MONEY},
        rpm INTEGER,
        tpm INTEGER,
        spent_total ${MONEY} NOT NULL DEFAULT 0,
        spent_day ${MONEY} NOT NULL DEFAULT 0,
        day TEXT NOT NULL DEFAULT '',
        spent_month ${MONEY} NOT NULL DEFAULT 0,
        month TEXT NOT NULL DEFAULT '',
        reserved ${MONEY} NOT NULL DEFAULT 0,
        minute BIGINT NOT NULL DEFAULT 0,
        minute_requests INTEGER NOT NULL DEFAULT 0,
        minute_tokens INTEGER NOT NULL DEFAULT 0
      )`,
      `CREATE TABLE router_reservations (
        id TEXT PRIMARY KEY,
        key_id TEXT NOT NULL REFERENCES router_keys(id),
        amount ${MONEY} NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE router_requests (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        key_id TEXT NOT NULL REFERENCES router_keys(id),
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        stream BOOLEAN NOT NULL DEFAULT FALSE,
        prompt_tokens INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        fee ${MONEY} NOT NULL DEFAULT 0,
        reserved ${MONEY} NOT NULL DEFAULT 0,
        verification TEXT,
        verdict TEXT NOT NULL,
        latency_ms INTEGER NOT NULL DEFAULT 0,
        status INTEGER NOT NULL,
        error TEXT
      )`,
      "CREATE INDEX router_requests_key_at ON router_requests (key_id, at)",
      "CREATE INDEX router_reservations_created ON router_reservations (created_at)",
    ],
  },
  {
    version: 2,
    name: "funding log, chat ids in the request log",
    statements: [
      // Every funding action of the instance holding the funding lock: lock taken, top-up sent, check failed.
      `CREATE TABLE router_funding (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        instance_id TEXT NOT NULL,
        provider TEXT,
        action TEXT NOT NULL,
        amount ${MONEY} NOT NULL DEFAULT 0,
        tx_hash TEXT,
        detail TEXT
      )`,
      "CREATE INDEX router_funding_at ON router_funding (at)",
      // The provider's id of a billed exchange (its signature key): ties a log row to the answer a client received.
      "ALTER TABLE router_requests ADD COLUMN chat_id TEXT",
      "CREATE INDEX router_requests_chat_id ON router_requests (chat_id)",
    ],
  },
  {
    version: 3,
    name: "each reservation carries its router's deadline",
    statements: [
      // Until when the router that made a reservation vouches for it (set at reserve and by its heartbeat, with that
      // router's own deadline): a reconcile by a replica configured with a shorter deadline cannot release it early.
      "ALTER TABLE router_reservations ADD COLUMN alive_until BIGINT",
      "UPDATE router_reservations SET alive_until = created_at + 600000",
      "ALTER TABLE router_reservations ALTER COLUMN alive_until SET NOT NULL",
      "CREATE INDEX router_reservations_alive ON router_reservations (alive_until)",
      // Reconcile and purge read alive_until now: the creation-time index only cost every reserve a write.
      "DROP INDEX router_reservations_created",
    ],
  },
]

/** Applies the migrations not yet recorded; returns the versions applied now. */
export const migrate = (migrations: ReadonlyArray<Migration> = MIGRATIONS) =>
  Effect.gen(function* () {
    const db = yield* Database
    return yield* attempt("apply migrations", () =>
      db.transaction(async (tx) => {
        // A fixed lock id shared by every router instance on this database.
        await tx.query("SELECT pg_advisory_xact_lock(7071001)")
        await tx.query(
          "CREATE TABLE IF NOT EXISTS router_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        const done = new Set((await tx.query("SELECT version FROM router_migrations")).map((r) => num(r.version)))
        const applied: number[] = []
        for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
          if (done.has(m.version)) continue
          for (const s of m.statements) await tx.query(s)
          await tx.query("INSERT INTO router_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
            m.version,
            m.name,
            Date.now(),
          ])
          applied.push(m.version)
        }
        return applied
      }),
    )
  })
