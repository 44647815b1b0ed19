/**
 * `providerExchange` (the provider exchange on Effect's HttpClient) against a real HTTP server on 127.0.0.1: the
 * phase deadlines and the body ceiling close the connection with the typed errors, interrupting the effect closes
 * it too, a transport failure reaches `unreachable` as the platform's own error, and a client from the context is
 * the one used.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { Context, Effect, Fiber, Layer } from "effect"
import { HttpClient, HttpClientRequest, HttpClientResponse } from "effect/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { ProviderLimits } from "./provider-http.js"
import { providerExchange, providerSend, readBoundedBytes } from "./provider-http-client.js"
import { listenLocal, type ScriptedServer, scriptedServer, taggedHttpClient } from "./testing/index.js"

let server: ScriptedServer
beforeAll(async () => {
  server = await scriptedServer()
})
afterAll(() => server.close())

class Unreachable extends Error {
  constructor(override readonly cause: unknown) {
    super("unreachable")
  }
}
const CHUNK = Buffer.alloc(64 * 1024, 0x78)
const LIMITS: ProviderLimits = { connectMs: 10_000, firstByteMs: 2000, idleMs: 100, totalMs: 10_000, maxBytes: 1024 }
const unreachable = (cause: unknown) => (cause instanceof Unreachable ? cause : new Unreachable(cause))
const text = (url = `${server.url}/x`, limits = LIMITS) =>
  Effect.gen(function* () {
    const body = yield* providerExchange(HttpClientRequest.get(url), { provider: "0xp", url }, limits, { unreachable })
    return new TextDecoder().decode(yield* readBoundedBytes(body, unreachable))
  })
const failure = (eff: Effect.Effect<unknown, unknown>) => Effect.runPromise(Effect.flip(eff))

describe("providerExchange on HttpClient", () => {
  it("reads a body and sends no tracing headers", async () => {
    let headers: IncomingMessage["headers"] = {}
    server.handler = (req, res) => {
      headers = req.headers
      res.end('{"ok":true}')
    }
    expect(await Effect.runPromise(text())).toBe('{"ok":true}')
    expect(headers.traceparent).toBeUndefined()
    expect(headers.b3).toBeUndefined()
  })

  it("no response headers within connectMs: ProviderTimeout(connect), connection closed", async () => {
    server.handler = () => undefined
    const eff = text(`${server.url}/x`, { ...LIMITS, connectMs: 150 })
    expect(await failure(eff)).toMatchObject({ _tag: "ProviderTimeout", phase: "connect", ms: 150 })
    await server.closedEarly()
  })

  it("a body that sends `{` and stalls: ProviderTimeout(idle), connection closed", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200)
      res.write("{")
    }
    expect(await failure(text())).toMatchObject({ _tag: "ProviderTimeout", phase: "idle", ms: 100 })
    await server.closedEarly()
  })

  it("a content-length over the ceiling is refused unread; an undeclared body is cut at it", async () => {
    const flood = (declare: boolean) => (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, declare ? { "content-length": String(1 << 30) } : {})
      const pump = () => {
        while (!res.destroyed && res.write(CHUNK)) {
          // until backpressure
        }
        if (!res.destroyed) res.once("drain", pump)
      }
      pump()
    }
    server.handler = flood(true)
    expect(await failure(text())).toMatchObject({ _tag: "ProviderBodyTooLarge", what: "content-length", limit: 1024 })
    await server.closedEarly() // the client response was handed over: the refusal itself must close it
    server.handler = flood(false)
    expect(await failure(text())).toMatchObject({ _tag: "ProviderBodyTooLarge", what: "body", limit: 1024 })
    await server.closedEarly()
  })

  it("interrupting the effect while waiting for headers closes the connection", async () => {
    const seen = new Promise<void>((resolve) => {
      server.handler = () => resolve() // and never answers
    })
    const fiber = Effect.runFork(text())
    await seen
    await Effect.runPromise(Fiber.interrupt(fiber))
    await server.closedEarly()
  })

  it("a refused connection reaches `unreachable` as the platform's error, not the client's wrapper", async () => {
    const probe = await listenLocal(() => undefined)
    await probe.close()
    const e = await failure(text(`${probe.url}/x`))
    expect(e).toBeInstanceOf(Unreachable)
    expect((e as Unreachable).cause).toBeInstanceOf(TypeError) // fetch's "fetch failed"
  })

  it("uses the HttpClient the context provides", async () => {
    let marker: string | string[] | undefined
    server.handler = (req, res) => {
      marker = req.headers["x-client"]
      res.end("ok")
    }
    expect(await Effect.runPromise(text().pipe(Effect.provide(taggedHttpClient("ours"))))).toBe("ok")
    expect(marker).toBe("ours")
  })

  it("a client without a platform Response (its body an Effect stream) is held to the same deadlines", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200)
      res.write("{")
    }
    // A backend like Node's own http client: the response exposes only its stream, no platform Response.
    const webSources: string[] = []
    const streamOnly = HttpClient.make((request, url, signal) =>
      Effect.map(
        Effect.promise(() => fetch(url, { signal })),
        (web) => {
          const r: HttpClientResponse.HttpClientResponse = Object.create(HttpClientResponse.fromWeb(request, web), {
            "~effect/http/HttpClientResponse/WebSource": { value: undefined },
          })
          webSources.push(HttpClientResponse.toWeb(r)._tag)
          return r
        },
      ),
    )
    const eff = text().pipe(Effect.provideService(HttpClient.HttpClient, streamOnly))
    expect(await failure(eff)).toMatchObject({ _tag: "ProviderTimeout", phase: "idle", ms: 100 })
    expect(webSources).toEqual(["None"])
    await server.closedEarly()
  })
})

describe("providerSend (the request path's form)", () => {
  const send = (context: Context.Context<never>, fetchFn: typeof fetch) =>
    providerSend(context, { provider: "0xp", url: `${server.url}/x` }, { method: "POST", body: "hi" }, LIMITS, {
      fetch: fetchFn,
      unreachable,
    })
  const contextWith = (layer: Layer.Layer<HttpClient.HttpClient>) =>
    Effect.runSync(Layer.build(layer).pipe(Effect.scoped))

  it("goes through the context's HttpClient when it holds one, else straight over the given fetch", async () => {
    const seen: Array<string | undefined> = []
    server.handler = async (req, res) => {
      let body = ""
      for await (const c of req) body += String(c)
      seen.push(`${req.method} ${req.headers["x-client"]} ${body}`)
      res.end("ok")
    }
    let fetched = 0
    const counting: typeof fetch = (input, init) => {
      fetched++
      return fetch(input, init)
    }
    expect(await (await send(Context.empty(), counting)).text()).toBe("ok")
    expect(await (await send(contextWith(taggedHttpClient("ours")), counting)).text()).toBe("ok")
    expect(seen).toEqual(["POST undefined hi", "POST ours hi"])
    expect(fetched).toBe(2) // a fetch-based client from the context sends with the given fetch too
  })

  it("holds the client path to the same limits: a stalled body is ProviderTimeout(idle), connection closed", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200)
      res.write("{")
    }
    const r = await send(contextWith(taggedHttpClient("ours")), fetch)
    await expect(r.text()).rejects.toMatchObject({ _tag: "ProviderTimeout", phase: "idle", ms: 100 })
    await server.closedEarly()
  })
})
