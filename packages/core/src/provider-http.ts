/**
 * The provider-HTTP limits every package applies to bytes from a provider: a deadline per phase (response headers,
 * first body byte, silence between chunks, the whole exchange), a body ceiling, and the caller's cancellation. One
 * exchange is one `AbortController` and one entry in a shared deadline timer; a limit that trips aborts the
 * connection (the upstream sees it closed) and fails the pending read with a typed error.
 */
import { Data } from "effect"
import { joinBytes } from "./bytes.js"
import { deadline } from "./deadline.js"

export { deadline, pendingDeadlines } from "./deadline.js"

export type TimeoutPhase = "connect" | "firstByte" | "idle" | "total"

/** A provider exceeded one of our deadlines; the connection was closed. */
export class ProviderTimeout extends Data.TaggedError("ProviderTimeout")<{
  readonly provider: string
  readonly url: string
  readonly phase: TimeoutPhase
  readonly ms: number
}> {
  override get message() {
    const what = PHASE_TEXT[this.phase]
    return `Provider ${this.provider} timed out (${what} after ${this.ms} ms) for ${this.url}`
  }
}

const PHASE_TEXT: Record<TimeoutPhase, string> = {
  connect: "no response headers",
  firstByte: "no body byte",
  idle: "body stalled",
  total: "exchange not finished",
}

/** A provider sent more than we accept for this kind of answer; the connection was closed. */
export class ProviderBodyTooLarge extends Data.TaggedError("ProviderBodyTooLarge")<{
  readonly provider: string
  readonly url: string
  /** The ceiling in bytes. */
  readonly limit: number
  /** What was refused: "body", "content-length", "SSE event". */
  readonly what: string
}> {
  override get message() {
    return `Provider ${this.provider} sent a ${this.what} over the ${this.limit}-byte limit for ${this.url}`
  }
}

export type ProviderLimitError = ProviderTimeout | ProviderBodyTooLarge

export const isProviderLimitError = (u: unknown): u is ProviderLimitError =>
  u instanceof ProviderTimeout || u instanceof ProviderBodyTooLarge

export interface ProviderLimits {
  /** Request sent → response headers. */
  readonly connectMs: number
  /** Response headers → first body byte. */
  readonly firstByteMs: number
  /** Longest silence between body chunks. */
  readonly idleMs: number
  /** The whole exchange, headers and body. */
  readonly totalMs: number
  /** Body ceiling in bytes (a larger `content-length` is refused before reading). */
  readonly maxBytes: number
}

const MiB = 1024 * 1024

/** Small JSON answers: service metadata, models, quotes, unsettled fee, fine-tuning routes. */
export const METADATA_LIMITS: ProviderLimits = {
  connectMs: 15_000,
  firstByteMs: 15_000,
  idleMs: 15_000,
  totalMs: 30_000,
  maxBytes: 4 * MiB,
}

// ── The bounded exchange ─────────────────────────────────────────────────────────────────────────────────────────

export interface ExchangeTarget {
  readonly provider: string
  readonly url: string
}

export interface BoundedFetchOptions {
  /** The caller's cancellation: aborts the upstream and rejects with its reason. */
  readonly signal?: AbortSignal | null | undefined
  /** Wraps a transport failure (connection refused, reset…) into the caller's typed error. */
  readonly unreachable: (cause: unknown) => Error
}

/** A response whose body is read under the limits. Every method rejects with the typed limit error on a breach. */
export interface BoundedResponse {
  readonly response: Response
  /** The next body chunk, or undefined at the end. */
  readonly read: () => Promise<Uint8Array | undefined>
  /** The rest of the body (the common single chunk is returned as is, not copied). */
  readonly bytes: () => Promise<Uint8Array>
  readonly text: () => Promise<string>
  /** Closes the connection (the upstream sees it) and releases the deadline. Idempotent. */
  readonly cancel: (reason?: unknown) => void
  /** Brings the total deadline forward to at most `ms` from now (a drain window after the consumer left). */
  readonly shorten: (ms: number) => void
  /** Body bytes received so far. */
  readonly received: () => number
}

const EMPTY = new Uint8Array(0)
const decoder = new TextDecoder()

const abortReason = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException("The operation was aborted.", "AbortError")

class Exchange {
  readonly controller = new AbortController()
  private failure: unknown
  private phase: TimeoutPhase = "connect"
  private last = Date.now()
  private totalAt: number
  private armedAt = Number.POSITIVE_INFINITY
  private release: (() => void) | undefined
  private rejectWait: ((e: unknown) => void) | undefined
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  private response: Response | undefined
  private finished = false
  /** A fetch or read is pending on the provider (phase deadlines run only then). */
  private waiting = true
  received = 0

  constructor(
    readonly target: ExchangeTarget,
    readonly limits: ProviderLimits,
    readonly options: BoundedFetchOptions,
  ) {
    this.totalAt = this.last + limits.totalMs
    const signal = options.signal
    if (signal) {
      if (signal.aborted) this.fail(abortReason(signal))
      else signal.addEventListener("abort", this.onAbort, { once: true })
    }
    if (this.failure === undefined) this.arm()
  }

  private readonly onAbort = () => this.fail(abortReason(this.options.signal as AbortSignal))

  private phaseMs(): number {
    const l = this.limits
    return this.phase === "connect" ? l.connectMs : this.phase === "firstByte" ? l.firstByteMs : l.idleMs
  }

  /**
   * The next deadline: the phase's, counted from when we last started waiting on the provider, only while we wait
   * (a consumer that reads slowly is not the provider stalling); the total one always.
   */
  private nextAt(): number {
    return this.waiting ? Math.min(this.last + this.phaseMs(), this.totalAt) : this.totalAt
  }

  private arm(): void {
    const at = this.nextAt()
    if (this.release !== undefined && at >= this.armedAt) return
    this.release?.()
    this.armedAt = at
    this.release = deadline(at - Date.now(), this.expire)
  }

  private readonly expire = () => {
    this.release = undefined
    this.armedAt = Number.POSITIVE_INFINITY
    if (this.finished || this.failure !== undefined) return
    const now = Date.now()
    const { provider, url } = this.target
    if (now >= this.totalAt)
      return this.fail(new ProviderTimeout({ provider, url, phase: "total", ms: this.limits.totalMs }))
    const ms = this.phaseMs()
    if (this.waiting && now >= this.last + ms) {
      return this.fail(new ProviderTimeout({ provider, url, phase: this.phase, ms }))
    }
    this.arm() // bytes arrived, or we stopped waiting, since this deadline was set
  }

  fail(reason: unknown): void {
    if (this.failure !== undefined || this.finished) return
    this.failure = reason
    this.done()
    this.controller.abort(reason)
    // A transport that already handed over the response (HttpClient) no longer listens to the controller.
    ;(this.reader ?? this.response?.body)?.cancel(reason).catch(() => undefined)
    const reject = this.rejectWait
    this.rejectWait = undefined
    reject?.(reason)
  }

  private done(): void {
    this.finished = true
    this.release?.()
    this.release = undefined
    this.options.signal?.removeEventListener("abort", this.onAbort)
  }

  /** Settles with `p`, or with the failure as soon as a limit trips (even if a custom fetch ignores the signal). */
  private guard<T>(p: Promise<T>): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise<T>((resolve, reject) => {
      this.rejectWait = reject
      p.then(
        (v) => {
          this.rejectWait = undefined
          if (this.failure !== undefined) reject(this.failure)
          else resolve(v)
        },
        (e: unknown) => {
          this.rejectWait = undefined
          if (this.failure === undefined) {
            // A transport failure: the exchange is over (deadline and caller listener released).
            this.failure = this.options.unreachable(e)
            this.done()
          }
          reject(this.failure)
        },
      )
    })
  }

  async start(send: ProviderSend): Promise<BoundedResponse> {
    let p: Promise<Response>
    try {
      p = send(this.controller.signal)
    } catch (e) {
      p = Promise.reject(e)
    }
    let response: Response
    try {
      response = await this.guard(p)
    } catch (e) {
      this.done()
      throw e
    }
    this.response = response
    const length = Number(response.headers.get("content-length") ?? Number.NaN)
    if (length > this.limits.maxBytes) {
      const { provider, url } = this.target
      const e = new ProviderBodyTooLarge({ provider, url, limit: this.limits.maxBytes, what: "content-length" })
      this.fail(e)
      throw e
    }
    this.phase = "firstByte"
    this.waiting = false
    this.reader = response.body?.getReader()
    if (this.reader === undefined) this.done()
    return {
      response,
      read: () => this.read(),
      bytes: () => this.bytes(),
      text: () => this.bytes().then((b) => decoder.decode(b)),
      cancel: (reason) => this.fail(reason ?? new DOMException("The operation was aborted.", "AbortError")),
      shorten: (ms) => {
        const at = Date.now() + ms
        if (at < this.totalAt && !this.finished) {
          this.totalAt = at
          this.armAfterPhaseChange()
        }
      },
      received: () => this.received,
    }
  }

  private armAfterPhaseChange(): void {
    if (this.finished) return
    const at = this.nextAt()
    if (at < this.armedAt) {
      this.release?.()
      this.release = undefined
      this.armedAt = Number.POSITIVE_INFINITY
      this.arm()
    }
  }

  async read(): Promise<Uint8Array | undefined> {
    if (this.failure !== undefined) throw this.failure
    const reader = this.reader
    if (reader === undefined || this.finished) return undefined
    this.waiting = true
    this.last = Date.now()
    this.armAfterPhaseChange()
    const r = await this.guard(reader.read())
    this.waiting = false
    if (r.done) {
      this.done()
      return undefined
    }
    this.received += r.value.length
    if (this.received > this.limits.maxBytes) {
      const { provider, url } = this.target
      const e = new ProviderBodyTooLarge({ provider, url, limit: this.limits.maxBytes, what: "body" })
      this.fail(e)
      throw e
    }
    if (this.phase === "firstByte") this.phase = "idle"
    return r.value
  }

  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = []
    let n = 0
    for (let c = await this.read(); c !== undefined; c = await this.read()) {
      parts.push(c)
      n += c.length
    }
    return parts.length === 0 ? EMPTY : joinBytes(parts, n)
  }
}

/**
 * `fetch` under `limits`: resolves once the headers arrived in time (a `content-length` over the ceiling is refused
 * at once); the body is then read through the returned reader, each chunk under the idle and total deadlines and the
 * byte ceiling. Rejects with `ProviderTimeout`, `ProviderBodyTooLarge`, the caller's abort reason, or
 * `options.unreachable(cause)` for a transport failure.
 */
export const boundedFetch = (
  fetchFn: typeof globalThis.fetch,
  target: ExchangeTarget,
  init: RequestInit,
  limits: ProviderLimits,
  options: BoundedFetchOptions,
): Promise<BoundedResponse> =>
  new Exchange(target, limits, options).start((signal) => fetchFn(target.url, { ...init, signal }))

/** Sends the request; `signal` aborts when a limit trips or the caller cancels. Resolves with the response headers. */
export type ProviderSend = (signal: AbortSignal) => Promise<Response>

/** The same limits over any transport that yields a platform `Response` (the HttpClient seam uses it). */
export const boundedExchange = (
  send: ProviderSend,
  target: ExchangeTarget,
  limits: ProviderLimits,
  options: BoundedFetchOptions,
): Promise<BoundedResponse> => new Exchange(target, limits, options).start(send)

/** A provider's error message: the JSON `error` field (string or `{message}`) or `message`, else the body's start. */
export const providerErrorDetail = (body: string): string => {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown }
    const e = json.error
    if (typeof e === "string") return bounded(e)
    if (typeof e === "object" && e !== null && typeof (e as { message?: unknown }).message === "string") {
      return bounded((e as { message: string }).message)
    }
    if (typeof json.message === "string") return bounded(json.message)
  } catch {
    // not JSON
  }
  return body.slice(0, 300).trim()
}

/**
 * Longest provider error message kept (the broker's are a few hundred characters). A message of megabytes is cut
 * here, before anything matches patterns against it or puts it in an error: a provider cannot spend our CPU on it.
 */
export const PROVIDER_ERROR_DETAIL_MAX = 2000

const bounded = (message: string) =>
  message.length > PROVIDER_ERROR_DETAIL_MAX ? `${message.slice(0, PROVIDER_ERROR_DETAIL_MAX)}…` : message

// The same exchange on Effect's HttpClient.
export {
  type ProviderExchangeOptions,
  type ProviderRequestInit,
  providerExchange,
  providerRequest,
  providerSend,
  readBoundedBytes,
} from "./provider-http-client.js"
