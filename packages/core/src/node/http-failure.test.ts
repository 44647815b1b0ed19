/**
 * routeListener behind a real node:http server: a route's failure is answered by the server's own `answer`, core's
 * body errors arrive there as the same 413/400 failures, a failure after the answer started cuts the connection, and
 * the bearer helpers accept exactly the secret.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type LocalServer, listenLocal } from "../testing/index.js"
import {
  bearerOf,
  bearerSecret,
  HttpFailure,
  httpFailureOf,
  readJsonObject,
  routeListener,
  secretMatches,
  sendFailure,
  sendJson,
} from "./index.js"

const SECRET = bearerSecret("s3cret-token", "unused-")
const AFTER_BODY = "x".repeat(8 * 1024 * 1024)
let server: LocalServer
let answered: unknown[] = []
const cuts: unknown[] = []

beforeAll(async () => {
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === "/json") return sendJson(res, 200, await readJsonObject(req, 64))
    if (req.url === "/private") {
      if (!secretMatches(bearerOf(req), SECRET)) throw new HttpFailure(401, "no", { code: "Unauthorized" })
      return sendJson(res, 200, { ok: true })
    }
    if (req.url === "/cut") {
      res.writeHead(200, { "content-type": "application/json" })
      res.write('{"partial":')
      throw new Error("failed after the answer started")
    }
    if (req.url === "/after") {
      res.writeHead(200, { "content-type": "text/plain" })
      res.end(AFTER_BODY) // more than the socket takes at once: most of it is still queued when the route throws
      throw new Error("failed after the answer ended")
    }
    if (req.url === "/crash") throw new TypeError("a bug")
    throw new HttpFailure(404, "no such route", { code: "NotFound", extra: { param: "url" } })
  }
  server = await listenLocal(
    routeListener(
      route,
      (e, _req, res) => {
        answered.push(e)
        sendFailure(
          res,
          httpFailureOf(e) ?? new HttpFailure(500, "internal", { code: "Internal", type: "server_error" }),
        )
      },
      (e) => cuts.push(e),
    ),
  )
})
afterAll(() => server.close())

const url = (path: string) => `${server.url}${path}`

describe("routeListener / httpFailureOf / sendFailure", () => {
  it("answers a thrown HttpFailure with its status, code, type and extra fields", async () => {
    answered = []
    const res = await fetch(url("/nowhere"))
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({
      error: { message: "no such route", type: "invalid_request_error", code: "NotFound", param: "url" },
    })
    expect(answered).toHaveLength(1)
  })

  it("turns core's body errors into the same 413 and 400 failures, their tag as the code", async () => {
    const big = await fetch(url("/json"), { method: "POST", body: JSON.stringify({ a: "x".repeat(100) }) })
    expect(big.status).toBe(413)
    expect(big.headers.get("connection")).toBe("close")
    expect(await big.json()).toMatchObject({ error: { code: "RequestBodyTooLarge" } })
    const bad = await fetch(url("/json"), { method: "POST", body: "[1]" })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: { code: "InvalidJsonBody" } })
    expect(httpFailureOf(new TypeError("x"))).toBeUndefined()
  })

  it("leaves any other failure to the server's answer (here a 500 without the bug's text)", async () => {
    const res = await fetch(url("/crash"))
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ error: { code: "Internal", type: "server_error", message: "internal" } })
  })

  it("cuts the connection when the answer had started, so the partial body never reads as whole", async () => {
    answered = []
    const res = await fetch(url("/cut"))
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow()
    expect(answered).toHaveLength(0)
    expect(cuts).toMatchObject([{ message: "failed after the answer started" }])
  })

  it("leaves an answer that had already ended whole, and still tells `cut` of the failure", async () => {
    cuts.length = 0
    const res = await fetch(url("/after"))
    expect(res.status).toBe(200)
    expect((await res.text()).length).toBe(AFTER_BODY.length)
    expect(cuts).toMatchObject([{ message: "failed after the answer ended" }])
  })
})

describe("bearer secrets", () => {
  it("accepts exactly the secret, in the Authorization header", async () => {
    const ok = await fetch(url("/private"), { headers: { authorization: "Bearer s3cret-token" } })
    expect(ok.status).toBe(200)
    for (const authorization of ["Bearer s3cret-toke", "Bearer s3cret-token2", "s3cret-token", "Basic s3cret-token"]) {
      const no = await fetch(url("/private"), { headers: { authorization } })
      expect(no.status).toBe(401)
    }
    expect((await fetch(url("/private"))).status).toBe(401)
    expect(secretMatches(undefined, SECRET)).toBe(false)
  })

  it('never matches an empty secret: a server given "" is closed, not open', () => {
    const empty = bearerSecret("", "p-")
    expect(secretMatches(undefined, empty)).toBe(false)
    expect(secretMatches("", empty)).toBe(false)
  })

  it("keeps a given secret and makes a fresh random one with the prefix when none is given", () => {
    const given = Redacted.make("mine")
    expect(bearerSecret(given, "p-")).toBe(given)
    expect(Redacted.value(bearerSecret("plain", "p-"))).toBe("plain")
    const a = Redacted.value(bearerSecret(undefined, "p-"))
    const b = Redacted.value(bearerSecret(undefined, "p-"))
    expect(a).toMatch(/^p-[\w-]{43}$/)
    expect(a).not.toBe(b)
  })
})
