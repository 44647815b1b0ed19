/**
 * What the admin API reads from its callers, checked field by field. A key is a grant of money and access, so a
 * field of the wrong shape or an unknown field is a typed 400 (`InvalidKeyOptions`), never silently dropped: a
 * `"models": "gpt-4"` or a `"budget": {"daily": "1"}` that were ignored would create a key with no scope or no budget.
 */
import { isRecord } from "@0g-compute/core"
import { HttpFailure } from "@0g-compute/core/node"
import { InvalidKeyOptions } from "./errors.js"
import type { CreateKeyOptions } from "./keys.js"

const FIELDS = new Set([
  "label",
  "expires_at",
  "models",
  "providers",
  "budget",
  "requests_per_minute",
  "tokens_per_minute",
])
const PERIODS = new Set(["day", "month", "total"])

const bad = (field: string, detail: string) => new InvalidKeyOptions({ field, detail })
const absent = (v: unknown) => v === undefined || v === null

const strings = (field: string, v: unknown): ReadonlyArray<string> | undefined => {
  if (absent(v)) return undefined
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw bad(field, "must be an array of strings")
  return v
}

const integer = (field: string, v: unknown): number | undefined => {
  if (absent(v)) return undefined
  if (typeof v !== "number") throw bad(field, "must be a number")
  return v
}

/** A budget as a decimal 0G string; a JSON number is read as its decimal text. */
const amount = (field: string, v: unknown): string | undefined => {
  if (absent(v)) return undefined
  if (typeof v === "string") return v
  if (typeof v === "number" && Number.isFinite(v)) return String(v)
  throw bad(field, 'must be a decimal 0G amount such as "0.5"')
}

const expiry = (v: unknown): number | undefined => {
  if (absent(v)) return undefined
  const ms = typeof v === "string" ? Date.parse(v) : typeof v === "number" ? v : Number.NaN
  if (!Number.isFinite(ms)) throw bad("expires_at", "must be an ISO date or Unix ms")
  return ms
}

/** The body of `POST /admin/keys` as the options `Keys.create` checks further (amounts, limits, expiry). */
export const parseCreateKey = (b: Record<string, unknown>): CreateKeyOptions => {
  for (const k of Object.keys(b)) if (!FIELDS.has(k)) throw bad(k, "is not a key option")
  if (!absent(b.label) && typeof b.label !== "string") throw bad("label", "must be a string")
  const budget = absent(b.budget) ? {} : b.budget
  if (!isRecord(budget)) throw bad("budget", "must be an object of day, month and total amounts")
  for (const k of Object.keys(budget)) if (!PERIODS.has(k)) throw bad(`budget.${k}`, "is not a budget period")
  const o: Record<string, unknown> = {
    label: typeof b.label === "string" ? b.label : "",
    expiresAt: expiry(b.expires_at),
    models: strings("models", b.models),
    providers: strings("providers", b.providers),
    budgetDay: amount("budget.day", budget.day),
    budgetMonth: amount("budget.month", budget.month),
    budgetTotal: amount("budget.total", budget.total),
    requestsPerMinute: integer("requests_per_minute", b.requests_per_minute),
    tokensPerMinute: integer("tokens_per_minute", b.tokens_per_minute),
  }
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]
  return o as unknown as CreateKeyOptions
}

/** A `?limit=` query parameter: a whole number from 1 to `max`, `fallback` when absent. */
export const limitParam = (url: URL, fallback: number, max: number): number => {
  const raw = url.searchParams.get("limit")
  if (raw === null || raw === "") return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 1)
    throw new HttpFailure(400, `limit must be a whole number from 1 to ${max} (got ${JSON.stringify(raw)})`, {
      code: "InvalidLimit",
      extra: { param: "limit" },
    })
  return Math.min(n, max)
}

/** A `?key=` query parameter: a key id (`key_` and hex; letters, digits, `_` and `-`), undefined when absent. */
export const keyParam = (url: URL): string | undefined => {
  const raw = url.searchParams.get("key")
  if (raw === null || raw === "") return undefined
  if (!/^[\w-]{1,64}$/.test(raw))
    throw new HttpFailure(400, `key must be a key id such as key_0123abcd (got ${JSON.stringify(raw.slice(0, 80))})`, {
      code: "InvalidKeyId",
      extra: { param: "key" },
    })
  return raw
}
