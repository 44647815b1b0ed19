/**
 * The server helper behind a real node:http server on 127.0.0.1: a body within the ceiling is read whole; past it the
 * client gets a 413 JSON error and the connection closes without the server reading the rest (declared or streamed);
 * a body that is not a JSON object is a typed 400.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { type AddressInfo, connect, type Socket } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { InvalidJsonBody, RequestBodyTooLarge, readBody, readJsonObject, sendJson, sendJsonError } from "./index.js"

const LIMIT = 1024
let server: Server
let port: number
/** What the server saw of each request: the failure it answered, and the socket's bytes read when it closed. */
let seen: { failure?: unknown; socketBytesRead: Promise<number> } = { socketBytesRead: Promise.resolve(0) }

const answer = async (req: IncomingMessage, res: ServerResponse) => {
  if (req.url === "/json") {
    const body = await readJsonObject(req, LIMIT)
    return sendJson(res, 200, { keys: Object.keys(body), big: 10n ** 30n })
  }
  const body = await readBody(req, LIMIT)
  sendJson(res, 200, { bytes: body.length })
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const socket = req.socket
    seen = { socketBytesRead: new Promise((resolve) => socket.once("close", () => resolve(socket.bytesRead))) }
    answer(req, res).catch((e: unknown) => {
      seen.failure = e
      if (req.url === "/silent") return // a server that never answers: only the discard bound ends the connection
      if (e instanceof RequestBodyTooLarge || e instanceof InvalidJsonBody)
        sendJsonError(res, e.status, { message: e.message, type: "invalid_request_error", code: e._tag })
      else sendJsonError(res, 500, { message: String(e), type: "server_error" })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const url = (path: string) => `http://127.0.0.1:${port}${path}`

/** A raw connection: everything the server sends until it closes the connection. */
const raw = (onConnect: (s: Socket) => void): Promise<{ text: string; closedByServer: boolean }> =>
  new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => onConnect(s))
    let text = ""
    s.on("data", (d: Buffer) => {
      text += d.toString("latin1")
    })
    s.on("error", () => undefined) // a reset after the answer is the server closing too
    s.on("close", () => resolve({ text, closedByServer: true }))
  })

const parse = (text: string) => {
  const [head = "", body = ""] = text.split("\r\n\r\n")
  return { status: Number(head.split(" ")[1]), head: head.toLowerCase(), body }
}

describe("readBody / sendJson / sendJsonError", () => {
  it("reads a body within the ceiling and answers JSON with content-type and content-length", async () => {
    const res = await fetch(url("/raw"), { method: "POST", body: "x".repeat(LIMIT) })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("application/json")
    const text = await res.text()
    expect(Number(res.headers.get("content-length"))).toBe(Buffer.byteLength(text))
    expect(JSON.parse(text)).toEqual({ bytes: LIMIT })
  })

  it("answers a declared oversize body with 413 at once and closes without reading the rest", async () => {
    const { text } = await raw((s) => {
      s.write(`POST /raw HTTP/1.1\r\nhost: x\r\ncontent-length: ${64 * 1024 * 1024}\r\n\r\n`)
      s.write("x".repeat(4096))
      // The other 64 MiB never come: only the server closing ends this connection.
    })
    const r = parse(text)
    expect(r.status).toBe(413)
    expect(r.head).toContain("connection: close")
    expect(JSON.parse(r.body)).toEqual({
      error: {
        message: `request body exceeds ${LIMIT} bytes`,
        type: "invalid_request_error",
        code: "RequestBodyTooLarge",
        param: null,
      },
    })
    expect(seen.failure).toMatchObject({ _tag: "RequestBodyTooLarge", limit: LIMIT, declared: 64 * 1024 * 1024 })
    expect(await seen.socketBytesRead).toBeLessThan(64 * 1024)
  })

  it("stops reading an endless chunked body it does not answer: the socket is destroyed after a bounded discard", async () => {
    const chunk = `${(16 * 1024).toString(16)}\r\n${"x".repeat(16 * 1024)}\r\n`
    let written = 0
    await raw((s) => {
      s.write("POST /silent HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
      const pump = () => {
        while (!s.destroyed) {
          written += chunk.length
          if (!s.write(chunk)) return void s.once("drain", pump)
        }
      }
      pump()
    })
    expect(seen.failure).toMatchObject({ _tag: "RequestBodyTooLarge", limit: LIMIT })
    expect((seen.failure as RequestBodyTooLarge).declared).toBeUndefined()
    // The ceiling, the 64 KiB discarded after it, and at most a few socket reads more.
    expect(await seen.socketBytesRead).toBeLessThan(LIMIT + 64 * 1024 + 256 * 1024)
    expect(written).toBeGreaterThan(LIMIT + 64 * 1024)
  })

  it("lets a client that writes its whole (moderately) oversize body first read the 413, not a reset", async () => {
    const res = await fetch(url("/raw"), { method: "POST", body: "x".repeat(32 * 1024) })
    expect(res.status).toBe(413)
    expect(res.headers.get("connection")).toBe("close")
    expect(await res.json()).toMatchObject({ error: { code: "RequestBodyTooLarge" } })
  })

  it("turns a body that is not a JSON object into a typed 400; bigints go out as decimal strings", async () => {
    const bad = await fetch(url("/json"), { method: "POST", body: "{not json" })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({
      error: { code: "InvalidJsonBody", message: "the request body is not valid JSON" },
    })
    expect(seen.failure).toMatchObject({ _tag: "InvalidJsonBody", reason: "syntax" })
    const list = await fetch(url("/json"), { method: "POST", body: "[1, 2]" })
    expect(list.status).toBe(400)
    expect(seen.failure).toMatchObject({ _tag: "InvalidJsonBody", reason: "not-object" })
    const ok = await fetch(url("/json"), { method: "POST", body: '{"a": 1, "b": 2}' })
    expect(await ok.json()).toEqual({ keys: ["a", "b"], big: (10n ** 30n).toString() })
  })
})
