/**
 * `boundedFetch` against a real HTTP server on 127.0.0.1: a stalled body trips the idle deadline and the server sees
 * the connection closed; a slow consumer does not (phase deadlines run only while we wait on the provider); a
 * declared size over the ceiling is refused before reading; the caller's abort closes the connection.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { boundedFetch, type ProviderLimits, pendingDeadlines } from "./provider-http.js"
import { type ScriptedServer, scriptedServer } from "./testing/index.js"

let server: ScriptedServer
beforeAll(async () => {
  server = await scriptedServer()
})
afterAll(() => server.close())

const LIMITS: ProviderLimits = { connectMs: 2000, firstByteMs: 2000, idleMs: 100, totalMs: 10_000, maxBytes: 1024 }
const target = () => ({ provider: "0xprovider", url: `${server.url}/x` })
const options = { unreachable: (cause: unknown) => new Error(`unreachable: ${String(cause)}`) }
const open = (limits = LIMITS, signal?: AbortSignal) =>
  boundedFetch(globalThis.fetch, target(), {}, limits, { ...options, signal })

describe("boundedFetch", () => {
  it("a body that sends `{` and stalls fails with ProviderTimeout(idle) and closes the connection", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.write("{")
    }
    const r = await open()
    await expect(r.text()).rejects.toMatchObject({ _tag: "ProviderTimeout", phase: "idle", ms: 100 })
    await server.closedEarly()
    expect(pendingDeadlines()).toBe(0)
  })

  it("a consumer slower than the idle deadline is not mistaken for a stalled provider", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200)
      res.write("a")
      setImmediate(() => res.end("b"))
    }
    const r = await open()
    const first = await r.read()
    await new Promise((resolve) => setTimeout(resolve, 3 * LIMITS.idleMs)) // the consumer is busy elsewhere
    const rest = await r.bytes()
    expect(new TextDecoder().decode(first) + new TextDecoder().decode(rest)).toBe("ab")
  })

  it("refuses a content-length over the ceiling before reading, and cuts an undeclared body at it", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { "content-length": "4096" })
      res.end("x".repeat(4096))
    }
    await expect(open()).rejects.toMatchObject({ _tag: "ProviderBodyTooLarge", limit: 1024, what: "content-length" })
    server.handler = (_req, res) => {
      res.writeHead(200)
      const pump = () => {
        while (!res.destroyed && res.write("x".repeat(512))) {
          // until backpressure
        }
        if (!res.destroyed) res.once("drain", pump)
      }
      pump()
    }
    const r = await open()
    await expect(r.bytes()).rejects.toMatchObject({ _tag: "ProviderBodyTooLarge", limit: 1024, what: "body" })
    await server.closedEarly()
  })

  it("the caller's abort rejects with its reason and closes the connection", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200)
      res.write("partial")
    }
    const controller = new AbortController()
    const r = await open(LIMITS, controller.signal)
    await r.read()
    const pending = r.read()
    controller.abort(new Error("caller left"))
    await expect(pending).rejects.toThrow("caller left")
    await server.closedEarly()
  })
})
