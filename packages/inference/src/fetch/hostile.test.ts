/**
 * Hostile providers (issue 11): an emulated provider that stalls, floods or never ends, over real HTTP on a devnet.
 * Each answer ends in a typed error naming the limit that tripped, the provider's connection is closed by us (the
 * emulator records the close), and nothing is recorded as spent where nothing was delivered.
 */
import type { HostileMode } from "@0g-compute/devnet"
import { describe, expect, it } from "vitest"
import { useTestDevnet } from "../testing/fixture.js"
import type { ExchangeResult } from "./adapter.js"

const KiB = 1024
const LIMITS = { connectMs: 3000, firstByteMs: 3000, idleMs: 3000, totalMs: 60_000, maxBytes: 4 * 1024 * KiB }

const t = useTestDevnet({
  config: {
    requestLimits: LIMITS,
    signatureLimits: { ...LIMITS, maxBytes: 64 * KiB },
    maxSseEventBytes: 256 * KiB,
    drainAfterAbortMs: 100,
  },
  ledger: "10",
  acknowledge: { fund: "3" },
})

const body = (stream: boolean) =>
  JSON.stringify({ model: t.provider.model, messages: [{ role: "user", content: "hostile provider test" }], stream })

/** Runs `f` with the provider in `mode`; returns its outcome and how the hostile response ended. */
const hostile = async <T>(mode: HostileMode, f: () => Promise<T>) => {
  const since = t.provider.faults.hostile.closes.length
  const billedBefore = t.provider.unsettledFee(t.user.address)
  const spentBefore = t.user.client.usage().total.fee
  t.provider.faults.set({ hostile: mode })
  try {
    const outcome = await f().then(
      (value) => ({ value, error: undefined }),
      (error: unknown) => ({ value: undefined, error }),
    )
    const close = await t.provider.faults.hostile.nextClose(since)
    return {
      ...outcome,
      close,
      billed: t.provider.unsettledFee(t.user.address) - billedBefore,
      spent: t.user.client.usage().total.fee - spentBefore,
    }
  } finally {
    t.provider.faults.clear()
  }
}

const post = (stream: boolean, init: RequestInit = {}, onExchange?: (r: ExchangeResult) => void) =>
  t.user.client.fetch(t.provider.providerAddress, onExchange === undefined ? {} : { onExchange })(
    `${t.provider.url}/v1/proxy/chat/completions`,
    { method: "POST", body: body(stream), ...init },
  )

/** Reads a response body to the end; rejects with what the stream errored with. */
const drain = async (res: Response) => {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    // keep reading
  }
}

describe("deadlines", () => {
  it("no response headers: ProviderTimeout(connect), connection closed, nothing billed or recorded", async () => {
    const r = await hostile("stallBeforeHeaders", () => post(false))
    expect(r.error).toMatchObject({ _tag: "ProviderTimeout", phase: "connect", ms: LIMITS.connectMs })
    expect(r.close).toMatchObject({ mode: "stallBeforeHeaders", byClient: true })
    expect([r.billed, r.spent]).toEqual([0n, 0n])
  })

  it("headers then silence: ProviderTimeout(firstByte) for a plain and a streamed chat", async () => {
    const plain = await hostile("stallAfterHeaders", () => post(false))
    expect(plain.error).toMatchObject({ _tag: "ProviderTimeout", phase: "firstByte", ms: LIMITS.firstByteMs })
    expect(plain.close.byClient).toBe(true)
    const streamed = await hostile("stallAfterHeaders", async () => drain(await post(true)))
    expect(streamed.error).toMatchObject({ _tag: "ProviderTimeout", phase: "firstByte" })
    expect(streamed.close.byClient).toBe(true)
    expect([plain.billed, plain.spent, streamed.billed, streamed.spent]).toEqual([0n, 0n, 0n, 0n])
  })

  it("a signature body that sends `{` and stalls: ProviderTimeout(idle), the billed fee still recorded", async () => {
    let exchange: ExchangeResult | undefined
    const r = await hostile("stallSignatureBody", () => post(false, {}, (x) => (exchange = x)))
    expect(r.error).toMatchObject({ _tag: "ProviderTimeout", phase: "idle", ms: LIMITS.idleMs })
    expect(r.close).toMatchObject({ mode: "stallSignatureBody", bytesSent: 1, byClient: true })
    // The chat itself was answered and billed: our record says so, with the failure as its verdict.
    expect(exchange?.record.verdict).toBe("ProviderTimeout")
    expect(r.billed).toBeGreaterThan(0n)
    expect(r.spent).toBe(r.billed)
  })
})

describe("ceilings", () => {
  it("a 400 MiB body is cut at the ceiling: ProviderBodyTooLarge, connection closed early", async () => {
    const r = await hostile("hugeBody", () => post(false))
    expect(r.error).toMatchObject({ _tag: "ProviderBodyTooLarge", limit: LIMITS.maxBytes, what: "body" })
    expect(r.close.byClient).toBe(true)
    expect(r.close.bytesSent).toBeLessThan(400 * 1024 * KiB)
    expect([r.billed, r.spent]).toEqual([0n, 0n])
  })

  it("an unterminated SSE event is cut at the event cap", async () => {
    const r = await hostile("hugeBody", async () => drain(await post(true)))
    expect(r.error).toMatchObject({ _tag: "ProviderBodyTooLarge", limit: 256 * KiB, what: "SSE event" })
    expect(r.close.byClient).toBe(true)
  })

  it("an endless stream read to the end is cut at the byte ceiling", async () => {
    const r = await hostile("endlessStream", async () => drain(await post(true)))
    expect(r.error).toMatchObject({ _tag: "ProviderBodyTooLarge", limit: LIMITS.maxBytes, what: "body" })
    expect(r.close.byClient).toBe(true)
  })
})

describe("cancellation reaches the provider", () => {
  it("an endless stream the consumer stops reading is closed after the drain window", async () => {
    const r = await hostile("endlessStream", async () => {
      const reader = ((await post(true)).body as ReadableStream<Uint8Array>).getReader()
      await reader.read()
      await reader.cancel()
    })
    expect(r.error).toBeUndefined()
    expect(r.close).toMatchObject({ mode: "endlessStream", byClient: true })
    expect(r.close.bytesSent).toBeLessThan(LIMITS.maxBytes)
  })

  it("the caller's abort before the headers closes the request at once", async () => {
    const controller = new AbortController()
    const r = await hostile("stallBeforeHeaders", async () => {
      const started = t.provider.faults.hostile.nextStart()
      const pending = post(false, { signal: controller.signal })
      await started
      controller.abort()
      return pending
    })
    expect(r.error).toMatchObject({ name: "AbortError" })
    expect(r.close.byClient).toBe(true)
    expect([r.billed, r.spent]).toEqual([0n, 0n])
  })

  it("the caller's abort after the headers reaches the provider (no endless wait for a stalled body)", async () => {
    const controller = new AbortController()
    const r = await hostile("stallAfterHeaders", async () => {
      const res = await post(true, { signal: controller.signal })
      const reading = drain(res)
      controller.abort()
      await reading
    })
    expect(r.error).toMatchObject({ name: "AbortError" })
    expect(r.close).toMatchObject({ mode: "stallAfterHeaders", byClient: true })
  })
})
