/**
 * Typed failures of the router. Each carries fields a program can act on and a one-line human message; none holds a
 * secret (a key's secret never leaves `createKey`'s result; keys are named by id).
 */
import { formatZG } from "@0g-compute/core"
import { Data } from "effect"

/** A database statement failed (connection lost, disk full, a bad migration). */
export class DatabaseFailed extends Data.TaggedError("DatabaseFailed")<{
  readonly operation: string
  readonly detail: string
}> {
  override get message() {
    return `the router database failed to ${this.operation}: ${this.detail.split("\n")[0]}`
  }
}

export type KeyRefusal = "unknown" | "revoked" | "expired"

/** The bearer key is not one the router issued, or it was revoked, or it expired (HTTP 401). */
export class KeyRejected extends Data.TaggedError("KeyRejected")<{
  readonly reason: KeyRefusal
  readonly keyId: string | undefined
}> {
  override get message() {
    return this.reason === "unknown"
      ? "missing or unknown router key"
      : `router key ${this.keyId} is ${this.reason === "revoked" ? "revoked" : "expired"}`
  }
}

/** The key may not use this model or provider (HTTP 403). */
export class KeyScopeDenied extends Data.TaggedError("KeyScopeDenied")<{
  readonly keyId: string
  readonly what: "model" | "provider"
  readonly value: string
}> {
  override get message() {
    return `router key ${this.keyId} may not use ${this.what} ${this.value}`
  }
}

export type BudgetPeriod = "day" | "month" | "total"

/** Reserving the request's maximum cost would overshoot one of the key's budgets (HTTP 402; nothing was sent). */
export class KeyBudgetExceeded extends Data.TaggedError("KeyBudgetExceeded")<{
  readonly keyId: string
  readonly period: BudgetPeriod
  readonly budget: bigint
  readonly spent: bigint
  readonly reserved: bigint
  readonly required: bigint
}> {
  override get message() {
    return (
      `router key ${this.keyId}: the request may cost up to ${formatZG(this.required)} 0G, but its ${this.period} ` +
      `budget of ${formatZG(this.budget)} 0G has ${formatZG(this.spent)} spent and ${formatZG(this.reserved)} reserved`
    )
  }
}

/** The key's requests- or tokens-per-minute limit is reached for the current minute (HTTP 429). */
export class KeyRateLimited extends Data.TaggedError("KeyRateLimited")<{
  readonly keyId: string
  readonly limit: "requests" | "tokens"
  readonly perMinute: number
  /** Seconds until the next minute window opens. */
  readonly retryAfter: number
}> {
  override get message() {
    return `router key ${this.keyId} reached its limit of ${this.perMinute} ${this.limit} per minute; retry in ${this.retryAfter} s`
  }
}

/** A key id the admin named does not exist. */
export class KeyNotFound extends Data.TaggedError("KeyNotFound")<{ readonly keyId: string }> {
  override get message() {
    return `no router key ${this.keyId}`
  }
}

/** A key option is invalid (a negative budget, an expiry in the past, a limit that is not a positive integer). */
export class InvalidKeyOptions extends Data.TaggedError("InvalidKeyOptions")<{
  readonly field: string
  readonly detail: string
}> {
  override get message() {
    return `invalid router key option ${this.field}: ${this.detail}`
  }
}

/** The router could not listen on its address. */
export class RouterListenFailed extends Data.TaggedError("RouterListenFailed")<{
  readonly host: string
  readonly port: number
  readonly code: string | undefined
}> {
  override get message() {
    return `the router cannot listen on ${this.host}:${this.port}${this.code === undefined ? "" : ` (${this.code})`}`
  }
}

export type KeyError = KeyRejected | KeyScopeDenied | KeyBudgetExceeded | KeyRateLimited
