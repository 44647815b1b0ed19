/**
 * The shared deadline timer: each deadline fires on time whatever else is pending (an earlier one registered after a
 * later one included), a released one never fires, and a signature GET that never answers still fails with
 * `ProviderTimeout` and an aborted signal — also when the fetch ignores its signal; through the context's
 * `HttpClient` when it holds one, else over the configured fetch, a stalled body closed under the signature limits.
 */
import { scriptedServer, taggedHttpClient } from "@0g-compute/core/testing"
import { Context, Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { defaultInferenceConfig } from "../config.js"
import type { ServiceView } from "../service-view.js"
import { deadline, pendingDeadlines } from "./deadlines.js"
import { verifyExchangePromise } from "./verifier.js"

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe("deadline", () => {
  it("fires each deadline on time, never a released one", async () => {
    const t0 = Date.now()
    const fired: Record<string, number> = {}
    const at = (name: string) => () => {
      fired[name] = Date.now() - t0
    }
    deadline(120, at("long"))
    const released = deadline(40, at("released"))
    deadline(60, at("short")) // earlier than the armed one: the timer is re-armed
    released()
    await sleep(180)
    expect(Object.keys(fired).sort()).toEqual(["long", "short"])
    expect(fired.short).toBeGreaterThanOrEqual(59)
    expect(fired.short).toBeLessThan(110)
    expect(fired.long).toBeGreaterThanOrEqual(119)
    expect(pendingDeadlines()).toBe(0)
  })
})

describe("signature GET timeout", () => {
  const service = {
    provider: "0x1111111111111111111111111111111111111111",
    url: "http://127.0.0.1:1",
    model: "m",
    separated: false,
    notVerifiableReason: undefined,
    teeSignerAcknowledged: true,
    expectedSigner: "0x2222222222222222222222222222222222222222",
  } as ServiceView
  const hashes = { requestHash: "a".repeat(64), responseHash: "b".repeat(64) }

  it("fails with ProviderTimeout and aborts the request when no answer comes", async () => {
    for (const honoursSignal of [true, false]) {
      let signal: AbortSignal | undefined
      const config = {
        ...defaultInferenceConfig(),
        signatureLimits: { ...defaultInferenceConfig().signatureLimits, connectMs: 50 },
        fetch: ((_: unknown, init?: RequestInit) => {
          signal = init?.signal ?? undefined
          return new Promise<Response>((_resolve, reject) => {
            if (honoursSignal) signal?.addEventListener("abort", () => reject(new Error("aborted")))
          })
        }) as typeof fetch,
      }
      const started = Date.now()
      const error = await verifyExchangePromise(config, service, "chat-1", hashes).catch((e: unknown) => e)
      expect(error).toMatchObject({ _tag: "ProviderTimeout", phase: "connect", ms: 50 })
      expect(signal?.aborted).toBe(true)
      expect(Date.now() - started).toBeLessThan(1000)
      expect(pendingDeadlines()).toBe(0)
    }
  })

  it("goes through the context's HttpClient when it holds one, else the configured fetch; a stalled body times out", async () => {
    const server = await scriptedServer()
    const seen: Array<string | undefined> = []
    server.handler = (req, res) => {
      seen.push(req.headers["x-client"] as string | undefined)
      res.writeHead(200)
      res.write("{")
    }
    const config = {
      ...defaultInferenceConfig(),
      signatureLimits: { ...defaultInferenceConfig().signatureLimits, idleMs: 120 },
    }
    const tagged = Effect.runSync(Effect.scoped(Layer.build(taggedHttpClient("ours"))))
    try {
      for (const context of [tagged, Context.empty()]) {
        const error = await verifyExchangePromise(
          config,
          { ...service, url: server.url },
          "chat-1",
          hashes,
          context,
        ).catch((e: unknown) => e)
        expect(error).toMatchObject({ _tag: "ProviderTimeout", phase: "idle", ms: 120 })
        await server.closedEarly()
      }
      expect(seen).toEqual(["ours", undefined])
    } finally {
      await server.close()
    }
  })
})
