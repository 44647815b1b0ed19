/**
 * The gateway's spending cap as a budget. Before a request is sent it reserves the most the request can cost at the
 * chosen provider's prices; when the provider's fee is known the reservation is replaced by the fee. Admission checks
 * spent + reserved + this request ≤ cap, so concurrent requests can never overshoot the cap together.
 *
 * The most a request can cost:
 * - output: the larger of its `max_completion_tokens` / `max_tokens` × `n` × the output price. A request without either
 *   gets the gateway's `defaultMaxTokens`. With a cap the gateway refuses limits that are not positive integers (a
 *   server coercing `"1000000"` would bill beyond the reservation) and sends both limit fields and `n` set to exactly
 *   what it reserved, whichever field the provider reads;
 * - input: the UTF-8 size of the request body in bytes × the input price (a token covers at least one byte of what the
 *   model reads, and the JSON around the messages is more than the chat template adds), plus `IMAGE_PART_TOKENS` for
 *   each image, audio or file part (a short URL can stand for many tokens).
 *
 * A provider that bills more than its reservation (it ignored max_tokens, or its prices rose on chain) is an overrun:
 * recorded, and the provider is put in cooldown by the gateway.
 */
import { isRecord } from "@0g-compute/core"

/** Tokens reserved for each image, audio or file content part, on top of its bytes. */
export const IMAGE_PART_TOKENS = 4096

/** Default `max_tokens` the gateway adds to a request that sets none, when a spending cap is set. */
export const DEFAULT_MAX_TOKENS = 4096

export const positiveInt = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : undefined

/** The fields that bound a request's output; with a cap each must be absent, null or a positive integer. */
export const LIMIT_FIELDS = ["max_tokens", "max_completion_tokens", "n"] as const

/** The first limit field set to something other than a positive integer (or null), if any. */
export const invalidLimitField = (request: Record<string, unknown>): (typeof LIMIT_FIELDS)[number] | undefined =>
  LIMIT_FIELDS.find((f) => request[f] !== undefined && request[f] !== null && positiveInt(request[f]) === undefined)

/** The request's own output limit, if it sets one: the larger of the two fields (servers differ in which they read). */
export const requestedMaxTokens = (request: Record<string, unknown>): number | undefined => {
  const a = positiveInt(request.max_completion_tokens)
  const b = positiveInt(request.max_tokens)
  return a === undefined ? b : b === undefined ? a : Math.max(a, b)
}

const MEDIA_PARTS = new Set(["image_url", "input_image", "input_audio", "file", "image"])

const mediaParts = (request: Record<string, unknown>): number => {
  let n = 0
  if (!Array.isArray(request.messages)) return n
  for (const m of request.messages) {
    const content = isRecord(m) ? m.content : undefined
    if (!Array.isArray(content)) continue
    for (const p of content) if (isRecord(p) && typeof p.type === "string" && MEDIA_PARTS.has(p.type)) n++
  }
  return n
}

export interface Prices {
  readonly inputPerToken: bigint
  readonly outputPerToken: bigint
}

/** The most `request` (sent as `bodyBytes` bytes, with `maxTokens` the output limit in force) can cost. */
export const maxCostOf = (
  request: Record<string, unknown>,
  bodyBytes: number,
  maxTokens: number,
  prices: Prices,
): bigint => {
  const choices = BigInt(positiveInt(request.n) ?? 1)
  const input = BigInt(bodyBytes) + BigInt(IMAGE_PART_TOKENS * mediaParts(request))
  return input * prices.inputPerToken + BigInt(maxTokens) * choices * prices.outputPerToken
}

export interface Reservation {
  readonly amount: bigint
}

/** Reservations against a cap; `spent` reads what has been billed (the usage meter). */
export class Budget {
  private reservedTotal = 0n
  private readonly open = new Set<Reservation>()
  overruns = 0
  overrunAmount = 0n

  constructor(
    readonly cap: bigint | undefined,
    private readonly spent: () => bigint,
  ) {}

  get reserved(): bigint {
    return this.reservedTotal
  }

  /** What a new request may still reserve (undefined without a cap). */
  remaining(): bigint | undefined {
    if (this.cap === undefined) return undefined
    const left = this.cap - this.spent() - this.reservedTotal
    return left > 0n ? left : 0n
  }

  /** Reserves `amount`, or undefined when it does not fit. Without a cap every reservation fits. */
  reserve(amount: bigint): Reservation | undefined {
    if (this.cap !== undefined && this.spent() + this.reservedTotal + amount > this.cap) return undefined
    const r: Reservation = { amount }
    this.open.add(r)
    this.reservedTotal += amount
    return r
  }

  /**
   * Ends a reservation (idempotent). Call it right after the fee was recorded in the meter, or when nothing was
   * billed. `fee` (when billed) above the reservation counts as an overrun; returns whether it was one.
   */
  release(r: Reservation, fee?: bigint): boolean {
    if (!this.open.delete(r)) return false
    this.reservedTotal -= r.amount
    if (fee !== undefined && fee > r.amount) {
      this.overruns += 1
      this.overrunAmount += fee - r.amount
      return true
    }
    return false
  }
}
