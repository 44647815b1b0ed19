/**
 * The verifying stream: upstream SSE bytes pass through to the consumer as they arrive (hashed incrementally, never
 * buffered), the terminal `[DONE]` (or error) event is held back, and when the upstream ends the exchange is
 * verified. Verified: the held bytes are delivered and the stream closes. Anything else: the stream **errors** with
 * the typed error instead of delivering `[DONE]`, so a consumer (the OpenAI SDK's iterator included) cannot see a
 * normal end of an unverified stream.
 *
 * If the consumer cancels or aborts, the rest of the upstream is still read (the provider bills what it generated)
 * so the exchange is verified and its fee recorded — but only within a drain window, after which the connection is
 * closed: an endless or stalled stream nobody listens to is not read forever. Every read is under the exchange's
 * limits (deadlines, byte ceiling), and one SSE event may not exceed the scanner's cap.
 */
import { isProviderLimitError, ProviderBodyTooLarge, type ProviderLimitError } from "@0g-compute/core"
import { ProviderStreamFailed } from "../errors.js"
import { sha256Hasher } from "../verify/digests.js"
import { SseScanner } from "../verify/sse.js"

export interface StreamOutcome {
  /** Bytes received (all of them, hashed), the scanner's findings, and how the upstream ended. */
  readonly responseHash: string
  readonly scanner: SseScanner
  /** A transport failure while reading, if any. */
  readonly readError: unknown
}

/** The bounded upstream body (core's `BoundedResponse`, the part the stream needs). */
export interface StreamSource {
  readonly read: () => Promise<Uint8Array | undefined>
  readonly cancel: (reason?: unknown) => void
  /** Brings the exchange's total deadline forward: the drain window once nobody listens. */
  readonly shorten: (ms: number) => void
}

export interface StreamLimits {
  readonly provider: string
  readonly url: string
  readonly maxEventBytes: number
  readonly drainAfterAbortMs: number
}

/**
 * Wraps `upstream` so its bytes flow through; `finish` decides the verdict when it ends and resolves to the error to
 * raise (or undefined to deliver the held tail and close).
 */
export const verifyingStream = (
  upstream: StreamSource,
  limits: StreamLimits,
  finish: (outcome: StreamOutcome) => Promise<Error | undefined>,
  /** The caller's abort signal: aborting errors our stream with its reason; the upstream is drained for a while. */
  signal?: AbortSignal | null,
): ReadableStream<Uint8Array> => {
  const hasher = sha256Hasher()
  const scanner = new SseScanner(limits.maxEventBytes)
  let finished: Promise<Error | undefined> | undefined

  const conclude = (readError: unknown) => {
    finished ??= finish({ responseHash: hasher.digestHex(), scanner, readError })
    return finished
  }

  /** Reads until something can be forwarded, or the end. */
  const next = async (): Promise<
    { readonly forward: Uint8Array } | { readonly end: true; readonly readError: unknown }
  > => {
    for (;;) {
      let chunk: Uint8Array | undefined
      try {
        chunk = await upstream.read()
      } catch (readError) {
        return { end: true, readError }
      }
      if (chunk === undefined) return { end: true, readError: undefined }
      hasher.update(chunk)
      const forward = scanner.push(chunk)
      if (scanner.overflow) {
        const { provider, url, maxEventBytes } = limits
        const e = new ProviderBodyTooLarge({ provider, url, limit: maxEventBytes, what: "SSE event" })
        upstream.cancel(e)
        return { end: true, readError: e }
      }
      if (forward.length > 0) return { forward }
    }
  }

  const drain = async () => {
    for (;;) {
      const step = await next()
      if ("end" in step) return conclude(step.readError)
    }
  }

  let draining = false
  const drainInBackground = () => {
    if (draining) return
    draining = true
    upstream.shorten(limits.drainAfterAbortMs)
    void drain().catch(() => undefined)
  }

  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (!signal) return
      const onAbort = () => {
        controller.error(signal.reason ?? new DOMException("The operation was aborted.", "AbortError"))
        drainInBackground()
      }
      if (signal.aborted) onAbort()
      else signal.addEventListener("abort", onAbort, { once: true })
    },
    async pull(controller) {
      if (draining) return
      const step = await next()
      if ("end" in step) {
        const error = await conclude(step.readError)
        if (draining) return
        if (error !== undefined) return controller.error(error)
        const tail = scanner.held()
        if (tail.length > 0) controller.enqueue(tail)
        return controller.close()
      }
      if (draining) {
        // Aborted while this read was pending: the chunk is hashed and scanned; keep draining from here.
        return
      }
      controller.enqueue(step.forward)
    },
    cancel() {
      // The consumer stopped listening; keep reading for the drain window so a billed exchange that ends in it is
      // still verified and recorded.
      drainInBackground()
    },
  })
}

/** The failure a stream's end implies before any signature is checked, if any. */
export const streamFailure = (
  provider: string,
  outcome: StreamOutcome,
): ProviderStreamFailed | ProviderLimitError | undefined => {
  const chatId = outcome.scanner.id
  if (outcome.readError !== undefined) {
    const e = outcome.readError
    if (isProviderLimitError(e)) return e
    const detail =
      e instanceof Error ? `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ""}` : String(e)
    return new ProviderStreamFailed({ provider, chatId, detail: `connection failed: ${detail}` })
  }
  if (outcome.scanner.error !== undefined) {
    return new ProviderStreamFailed({ provider, chatId, detail: `error event: ${outcome.scanner.error}` })
  }
  if (!outcome.scanner.done)
    return new ProviderStreamFailed({ provider, chatId, detail: "the stream ended without [DONE]" })
  return undefined
}
