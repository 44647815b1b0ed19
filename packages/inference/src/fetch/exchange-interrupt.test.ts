/**
 * Interrupting `InferenceRequests.exchange` while the answer arrives closes the provider's connection: the emulated
 * provider streams without end (hostile mode), the fiber is interrupted once the client is reading the body, and the
 * emulator records that the client closed the connection. The exchange then ends by our abort (the drain window ran
 * out), not by the body ceiling it would otherwise reach.
 */
import { Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { InferenceRequests } from "../requests.js"
import { useTestDevnet, withFaults } from "../testing/fixture.js"
import type { ExchangeResult } from "./adapter.js"

const MiB = 1024 * 1024

/** Resolves once 1 MiB of a chat answer went through the client's fetch: the exchange is reading the body. */
let reading: Promise<void> = Promise.resolve()
let onReading = () => {}
const armReading = () => {
  reading = new Promise<void>((resolve) => {
    onReading = resolve
  })
}

/** The platform fetch, counting the chat answer's bytes as the client reads them (the request is not changed). */
const countingFetch: typeof globalThis.fetch = async (input, init) => {
  const res = await globalThis.fetch(input, init)
  if (res.body === null || !String(input).includes("/chat/completions")) return res
  let received = 0
  const counted = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength
        if (received >= MiB) onReading()
        controller.enqueue(chunk)
      },
    }),
  )
  return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers })
}

const t = useTestDevnet({
  ledger: "10",
  acknowledge: { fund: "2" },
  // A short drain window after the abort; the default body ceiling (64 MiB) is what ends an exchange nobody aborts.
  config: { fetch: countingFetch, drainAfterAbortMs: 50 },
})

describe("InferenceRequests.exchange interrupted mid-answer", () => {
  it("aborts the provider connection: the emulator sees the client close it, the record names our abort", async () => {
    const provider = t.provider.providerAddress
    const hostile = t.provider.faults.hostile
    const since = hostile.closes.length
    armReading()
    let recorded = (_: ExchangeResult) => {}
    const record = new Promise<ExchangeResult>((resolve) => {
      recorded = resolve
    })
    const body = JSON.stringify({
      model: t.provider.model,
      messages: [{ role: "user", content: "interrupt me" }],
      stream: true,
    })
    const close = await withFaults(t.provider, { hostile: "endlessStream" }, async () => {
      await t.user.client.run(
        Effect.gen(function* () {
          const fiber = yield* Effect.forkChild(
            InferenceRequests.use((r) =>
              r.exchange(
                provider,
                { path: "/v1/proxy/chat/completions", headers: { "content-type": "application/json" }, body },
                { onExchange: recorded },
              ),
            ),
          )
          yield* Effect.promise(() => reading)
          yield* Fiber.interrupt(fiber)
        }),
      )
      return hostile.nextClose(since)
    })
    expect(close).toMatchObject({ mode: "endlessStream", byClient: true })
    expect(close.bytesSent).toBeGreaterThanOrEqual(MiB)
    // Cut by the drain window after the abort (a total-deadline timeout), not by the 64 MiB ceiling.
    expect((await record).record.verdict).toBe("ProviderTimeout")
  })
})
