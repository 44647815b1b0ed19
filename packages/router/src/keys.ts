/**
 * Virtual keys: `zgr-` + 32 random bytes (base64url), shown once at creation and stored only as their SHA-256. A key
 * carries its scopes (models, providers), budgets (0G per UTC day / UTC month / total), per-minute limits and expiry.
 * Spend counters live on the key's row so that a reservation is one conditional UPDATE (spend.ts).
 */
import { createHash, randomBytes } from "node:crypto"
import { formatZG, parseZG } from "@0g-compute/core"
import { Context, Effect, Layer, Redacted } from "effect"
import { attempt, big, Database, num, optBig, type Row } from "./db.js"
import { type DatabaseFailed, InvalidKeyOptions, KeyNotFound, KeyRejected } from "./errors.js"

export interface CreateKeyOptions {
  readonly label: string
  /** Unix ms after which the key is refused. */
  readonly expiresAt?: number
  readonly models?: ReadonlyArray<string>
  /** Provider addresses (any case). */
  readonly providers?: ReadonlyArray<string>
  /** Budgets: neuron, or decimal 0G strings ("0.5"). */
  readonly budgetDay?: bigint | string
  readonly budgetMonth?: bigint | string
  readonly budgetTotal?: bigint | string
  readonly requestsPerMinute?: number
  readonly tokensPerMinute?: number
}

export interface KeyInfo {
  readonly id: string
  readonly label: string
  readonly createdAt: number
  readonly expiresAt: number | undefined
  readonly revokedAt: number | undefined
  readonly lastUsedAt: number | undefined
  readonly models: ReadonlyArray<string> | undefined
  readonly providers: ReadonlyArray<string> | undefined
  readonly budgetDay: bigint | undefined
  readonly budgetMonth: bigint | undefined
  readonly budgetTotal: bigint | undefined
  readonly requestsPerMinute: number | undefined
  readonly tokensPerMinute: number | undefined
  readonly spentTotal: bigint
  /** Spent in the current UTC day / month (0 when the stored period is over). */
  readonly spentDay: bigint
  readonly spentMonth: bigint
  /** Σ maximum cost of this key's requests in flight. */
  readonly reserved: bigint
  /** The least any budget still allows (budget − spent − reserved), undefined without budgets. */
  readonly remaining: bigint | undefined
}

export interface CreatedKey {
  readonly key: KeyInfo
  /** The secret, shown only now. */
  readonly secret: Redacted.Redacted<string>
}

export const SECRET_PREFIX = "zgr-"
export const hashSecret = (secret: string) => createHash("sha256").update(secret).digest("hex")

export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10)
export const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7)
export const minuteOf = (ms: number) => Math.floor(ms / 60_000)

const list = (v: unknown): ReadonlyArray<string> | undefined =>
  typeof v === "string" ? (JSON.parse(v) as string[]) : undefined
const optNum = (v: unknown) => (v === null || v === undefined ? undefined : num(v))

export const KEY_COLUMNS =
  "id, label, created_at, expires_at, revoked_at, last_used_at, allowed_models, allowed_providers, budget_day::text AS budget_day, budget_month::text AS budget_month, budget_total::text AS budget_total, rpm, tpm, spent_total::text AS spent_total, spent_day::text AS spent_day, day, spent_month::text AS spent_month, month, reserved::text AS reserved"

export const keyOfRow = (r: Row, now: number): KeyInfo => {
  const spentDay = r.day === dayOf(now) ? big(r.spent_day) : 0n
  const spentMonth = r.month === monthOf(now) ? big(r.spent_month) : 0n
  const spentTotal = big(r.spent_total)
  const reserved = big(r.reserved)
  const budgets = {
    budgetDay: optBig(r.budget_day),
    budgetMonth: optBig(r.budget_month),
    budgetTotal: optBig(r.budget_total),
  }
  const left = [
    budgets.budgetDay === undefined ? undefined : budgets.budgetDay - spentDay - reserved,
    budgets.budgetMonth === undefined ? undefined : budgets.budgetMonth - spentMonth - reserved,
    budgets.budgetTotal === undefined ? undefined : budgets.budgetTotal - spentTotal - reserved,
  ].filter((x): x is bigint => x !== undefined)
  const least = left.length === 0 ? undefined : left.reduce((a, b) => (b < a ? b : a))
  return {
    id: String(r.id),
    label: String(r.label),
    createdAt: num(r.created_at),
    expiresAt: optNum(r.expires_at),
    revokedAt: optNum(r.revoked_at),
    lastUsedAt: optNum(r.last_used_at),
    models: list(r.allowed_models),
    providers: list(r.allowed_providers),
    ...budgets,
    requestsPerMinute: optNum(r.rpm),
    tokensPerMinute: optNum(r.tpm),
    spentTotal,
    spentDay,
    spentMonth,
    reserved,
    remaining: least === undefined ? undefined : least > 0n ? least : 0n,
  }
}

/** A key as JSON for the admin API and the CLI (money as decimal 0G strings). */
export const keyJson = (k: KeyInfo) => {
  const zg = (v: bigint | undefined) => (v === undefined ? null : formatZG(v))
  return {
    id: k.id,
    label: k.label,
    created_at: new Date(k.createdAt).toISOString(),
    expires_at: k.expiresAt === undefined ? null : new Date(k.expiresAt).toISOString(),
    revoked_at: k.revokedAt === undefined ? null : new Date(k.revokedAt).toISOString(),
    last_used_at: k.lastUsedAt === undefined ? null : new Date(k.lastUsedAt).toISOString(),
    models: k.models ?? null,
    providers: k.providers ?? null,
    budget: { day: zg(k.budgetDay), month: zg(k.budgetMonth), total: zg(k.budgetTotal) },
    requests_per_minute: k.requestsPerMinute ?? null,
    tokens_per_minute: k.tokensPerMinute ?? null,
    spent: { day: zg(k.spentDay), month: zg(k.spentMonth), total: zg(k.spentTotal) },
    reserved: zg(k.reserved),
    remaining: zg(k.remaining),
  }
}

const amount = (field: string, v: bigint | string | undefined) =>
  Effect.gen(function* () {
    if (v === undefined) return undefined
    const n =
      typeof v === "bigint"
        ? v
        : yield* Effect.mapError(parseZG(v), () => new InvalidKeyOptions({ field, detail: `not a 0G amount: ${v}` }))
    if (n < 0n) return yield* new InvalidKeyOptions({ field, detail: "must not be negative" })
    if (n > MAX_MONEY) return yield* new InvalidKeyOptions({ field, detail: "is larger than any 0G amount" })
    return n
  })

/** The money columns hold 78 digits of neuron (uint256); the limit columns are int4. */
const MAX_MONEY = 10n ** 78n - 1n
const MAX_LIMIT = 2_147_483_647

const limit = (field: string, v: number | undefined) =>
  v === undefined || (Number.isSafeInteger(v) && v > 0 && v <= MAX_LIMIT)
    ? Effect.succeed(v)
    : Effect.fail(new InvalidKeyOptions({ field, detail: `must be an integer from 1 to ${MAX_LIMIT} (got ${v})` }))

const ADDRESS = /^0x[0-9a-fA-F]{40}$/

/** Models are non-empty names; providers are addresses (a typo would scope the key to nothing, silently). */
const scope = (field: "models" | "providers", v: ReadonlyArray<string> | undefined) => {
  const wrong = v?.find(
    (s) => typeof s !== "string" || (field === "models" ? s.trim() === "" || s.includes("\0") : !ADDRESS.test(s)),
  )
  return wrong === undefined
    ? Effect.succeed(v)
    : Effect.fail(
        new InvalidKeyOptions({
          field,
          detail: `${JSON.stringify(wrong)} is not ${field === "models" ? "a model name" : "a provider address"}`,
        }),
      )
}

export interface KeysShape {
  readonly create: (options: CreateKeyOptions) => Effect.Effect<CreatedKey, InvalidKeyOptions | DatabaseFailed>
  readonly list: () => Effect.Effect<ReadonlyArray<KeyInfo>, DatabaseFailed>
  readonly get: (id: string) => Effect.Effect<KeyInfo, KeyNotFound | DatabaseFailed>
  readonly revoke: (id: string) => Effect.Effect<KeyInfo, KeyNotFound | DatabaseFailed>
  /**
   * The key a bearer secret names, if it is live (not revoked, not expired). With `cached`, a key this instance
   * already read may be answered from memory without a statement: its scopes, limits, budgets and expiry never change
   * after creation, its spend counters in the answer may be stale, and a revocation on another replica is seen by the
   * reservation (spend.ts checks `revoked_at` in its one statement) — so use `cached` only where a reservation
   * follows before anything is sent.
   */
  readonly authenticate: (
    secret: string | undefined,
    options?: { readonly cached?: boolean },
  ) => Effect.Effect<KeyInfo, KeyRejected | DatabaseFailed>
}

/** Keys read by authentication, by secret hash (bounded: cleared when full). */
const CACHE_LIMIT = 10_000

export class Keys extends Context.Service<Keys, KeysShape>()("zg/router/Keys") {
  static readonly layer = Layer.effect(
    Keys,
    Effect.gen(function* () {
      const db = yield* Database
      const cache = new Map<string, KeyInfo>()
      const get = (id: string) =>
        Effect.flatMap(
          attempt("read a key", () => db.query(`SELECT ${KEY_COLUMNS} FROM router_keys WHERE id = $1`, [id])),
          (rows) =>
            rows[0] === undefined
              ? Effect.fail(new KeyNotFound({ keyId: id }))
              : Effect.succeed(keyOfRow(rows[0], Date.now())),
        )
      return Keys.of({
        create: (o) =>
          Effect.gen(function* () {
            if (o.label.trim() === "")
              return yield* new InvalidKeyOptions({ field: "label", detail: "must not be empty" })
            if (o.label.includes("\0"))
              return yield* new InvalidKeyOptions({ field: "label", detail: "must not contain a NUL character" })
            const now = Date.now()
            if (o.expiresAt !== undefined && !Number.isSafeInteger(o.expiresAt))
              return yield* new InvalidKeyOptions({ field: "expiresAt", detail: "must be a whole number of Unix ms" })
            if (o.expiresAt !== undefined && !(o.expiresAt > now))
              return yield* new InvalidKeyOptions({ field: "expiresAt", detail: "must be in the future" })
            const budgetDay = yield* amount("budgetDay", o.budgetDay)
            const budgetMonth = yield* amount("budgetMonth", o.budgetMonth)
            const budgetTotal = yield* amount("budgetTotal", o.budgetTotal)
            const rpm = yield* limit("requestsPerMinute", o.requestsPerMinute)
            const tpm = yield* limit("tokensPerMinute", o.tokensPerMinute)
            const models = yield* scope("models", o.models)
            const providers = yield* scope("providers", o.providers)
            const id = `key_${randomBytes(8).toString("hex")}`
            const secret = `${SECRET_PREFIX}${randomBytes(32).toString("base64url")}`
            const json = (v: ReadonlyArray<string> | undefined) => (v === undefined ? null : JSON.stringify(v))
            yield* attempt("create a key", () =>
              db.query(
                `INSERT INTO router_keys (id, label, secret_hash, created_at, expires_at, allowed_models, allowed_providers,
                   budget_day, budget_month, budget_total, rpm, tpm)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
                [
                  id,
                  o.label,
                  hashSecret(secret),
                  now,
                  o.expiresAt ?? null,
                  json(models),
                  json(providers?.map((p) => p.toLowerCase())),
                  budgetDay?.toString() ?? null,
                  budgetMonth?.toString() ?? null,
                  budgetTotal?.toString() ?? null,
                  rpm ?? null,
                  tpm ?? null,
                ],
              ),
            )
            return { key: yield* Effect.orDie(get(id)), secret: Redacted.make(secret) }
          }),
        list: () =>
          Effect.map(
            attempt("list keys", () => db.query(`SELECT ${KEY_COLUMNS} FROM router_keys ORDER BY created_at, id`)),
            (rows) => rows.map((r) => keyOfRow(r, Date.now())),
          ),
        get,
        revoke: (id) =>
          Effect.flatMap(
            attempt("revoke a key", () =>
              db.query("UPDATE router_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING id", [
                id,
                Date.now(),
              ]),
            ),
            (rows) => {
              for (const [hash, k] of cache) if (k.id === id) cache.delete(hash)
              return rows.length === 0 ? Effect.fail(new KeyNotFound({ keyId: id })) : get(id)
            },
          ),
        authenticate: (secret, options) =>
          Effect.gen(function* () {
            if (secret === undefined || !secret.startsWith(SECRET_PREFIX))
              return yield* new KeyRejected({ reason: "unknown", keyId: undefined })
            const hash = hashSecret(secret)
            const now = Date.now()
            let key = options?.cached === true ? cache.get(hash) : undefined
            if (key === undefined) {
              const rows = yield* attempt("authenticate a key", () =>
                db.query(`SELECT ${KEY_COLUMNS} FROM router_keys WHERE secret_hash = $1`, [hash]),
              )
              if (rows[0] === undefined) return yield* new KeyRejected({ reason: "unknown", keyId: undefined })
              key = keyOfRow(rows[0], now)
              if (key.revokedAt === undefined) {
                if (cache.size >= CACHE_LIMIT) cache.clear()
                cache.set(hash, key)
              }
            }
            if (key.revokedAt !== undefined) return yield* new KeyRejected({ reason: "revoked", keyId: key.id })
            if (key.expiresAt !== undefined && key.expiresAt <= now)
              return yield* new KeyRejected({ reason: "expired", keyId: key.id })
            return key
          }),
      })
    }),
  )
}
