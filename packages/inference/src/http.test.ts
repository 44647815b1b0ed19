/**
 * The inference client's metadata calls (`providerJson` / `providerText`) on core's provider exchange, against a
 * real HTTP server on 127.0.0.1 that misbehaves on request: the configured metadata limits bound every answer with
 * the typed errors and close the connection, interruption closes it too, a broker's error message becomes its typed
 * rejection, and the request goes out through the context's `HttpClient` (else the configured `fetch`).
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { type ScriptedServer, scriptedServer, taggedHttpClient } from "@0g-compute/core/testing"
import { Effect, Fiber, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { inferenceConfigLayer } from "./config.js"
import { providerJson, providerText } from "./http.js"

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void
let server: ScriptedServer
let url: string
let answer: Handler = (_req, _body, res) => res.end("{}")
let requestArrived: () => void = () => undefined
const nextRequest = () =>
  new Promise<void>((resolve) => {
    requestArrived = resolve
  })

beforeAll(async () => {
  server = await scriptedServer()
  server.handler = async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    requestArrived()
    answer(req, Buffer.concat(chunks).toString("utf8"), res)
  }
  url = `${server.url}/v1/thing`
})
afterAll(() => server.close())

const LIMITS = { connectMs: 10_000, firstByteMs: 5_000, idleMs: 150, totalMs: 20_000, maxBytes: 4096 }
const provider = "0x1111111111111111111111111111111111111111"
const config = inferenceConfigLayer({ metadataLimits: LIMITS })
const run = <A, E>(eff: Effect.Effect<A, E>) => Effect.runPromise(eff.pipe(Effect.provide(config)))
const failure = <A, E>(eff: Effect.Effect<A, E>) => run(Effect.flip(eff))
const text = () => providerText({ provider, url })

describe("metadata calls on the provider exchange", () => {
  it("sends method, headers and body as given and decodes the answer; a broker error is its typed rejection", async () => {
    answer = (req, body, res) =>
      res.end(JSON.stringify({ method: req.method, type: req.headers["content-type"], auth: req.headers.x, body }))
    const Echo = Schema.Struct({ method: Schema.String, type: Schema.String, auth: Schema.String, body: Schema.String })
    const init = { method: "POST", headers: { x: "tok", "content-type": "application/json" }, body: '{"a":1}' } as const
    expect(await run(providerJson({ provider, url }, Echo, "echo", init))).toEqual({
      method: "POST",
      type: "application/json",
      auth: "tok",
      body: '{"a":1}',
    })
    answer = (_req, _body, res) => {
      res.writeHead(400, { "content-type": "application/json" })
      res.end(JSON.stringify({ error: "insufficient balance: locked balance is 0.5, required is 2" }))
    }
    const rejected = await failure(providerJson({ provider, url, user: "0xu" }, Echo, "echo"))
    expect(rejected).toMatchObject({ _tag: "InsufficientSubAccountBalance", provider })
  })

  it("a body that stalls: ProviderTimeout(idle) at the configured metadata limit, connection closed", async () => {
    answer = (_req, _body, res) => {
      res.writeHead(200)
      res.write("{")
    }
    expect(await failure(text())).toMatchObject({ _tag: "ProviderTimeout", phase: "idle", ms: LIMITS.idleMs })
    await server.closedEarly()
  })

  it("a body over the metadata ceiling: ProviderBodyTooLarge, declared or not, connection closed", async () => {
    const flood = (declare: boolean) => (_req: IncomingMessage, _body: string, res: ServerResponse) => {
      res.writeHead(200, declare ? { "content-length": String(1 << 30) } : {})
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {
          // until backpressure
        }
        if (!res.destroyed) res.once("drain", pump)
      }
      pump()
    }
    for (const declare of [true, false]) {
      answer = flood(declare)
      const what = declare ? "content-length" : "body"
      expect(await failure(text())).toMatchObject({ _tag: "ProviderBodyTooLarge", what, limit: LIMITS.maxBytes })
      await server.closedEarly()
    }
  })

  it("interrupting a call that waits for headers closes the connection", async () => {
    answer = () => undefined
    const arrived = nextRequest()
    const fiber = Effect.runFork(text().pipe(Effect.provide(config)))
    await arrived
    await Effect.runPromise(Fiber.interrupt(fiber))
    await server.closedEarly()
  })

  it("goes out through the context's HttpClient; without one, through the configured fetch", async () => {
    const seen: Array<string | undefined> = []
    answer = (req, _body, res) => {
      seen.push(req.headers["x-client"] as string | undefined)
      res.end("ok")
    }
    const tagged = taggedHttpClient("ours")
    expect(await run(text().pipe(Effect.provide(tagged)))).toEqual({ status: 200, text: "ok" })
    const viaFetch: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers)
      headers.set("x-client", "fetch")
      return globalThis.fetch(input, { ...init, headers })
    }
    const withFetch = inferenceConfigLayer({ metadataLimits: LIMITS, fetch: viaFetch })
    expect(await Effect.runPromise(text().pipe(Effect.provide(withFetch)))).toEqual({ status: 200, text: "ok" })
    expect(seen).toEqual(["ours", "fetch"])
  })
})
