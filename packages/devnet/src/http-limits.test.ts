/**
 * Each emulator's answer to a body past its ceiling (declared in Content-Length; the body never comes): a 413 in its
 * own wire shape, at once, and the connection closed — the inference provider as the broker words it, the fine-tuning
 * broker, the storage node's JSON-RPC server and the RPC fault proxy with core's `{"error": …}`. The two providers are
 * served through their own failure answers behind core's routeListener, as their servers are.
 */
import { createServer, type Server } from "node:http"
import { type AddressInfo, connect } from "node:net"
import { readBody, routeListener } from "@0g-compute/core/node"
import { afterEach, describe, expect, it } from "vitest"
import { startRpcFaultProxy } from "./faults/index.js"
import { answerFailure as answerFineTuning, sendError as sendFineTuningError } from "./fine-tuning/http-util.js"
import { answerFailure, MAX_BODY_BYTES, sendError } from "./inference/http.js"
import { LoraAdapters, serveLora } from "./inference/lora.js"
import { startRpcServer } from "./storage/jsonrpc-server.js"

const closers: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

/** POSTs headers declaring `declared` bytes and 1 KiB of body, and reads until the server closes the connection. */
const oversize = (port: number, declared: number, headers = "") =>
  new Promise<{ status: number; head: string; body: string }>((resolve) => {
    const s = connect(port, "127.0.0.1", () => {
      s.write(`POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${headers}`)
      s.write(`content-length: ${declared}\r\n\r\n{"method":"${"x".repeat(1000)}`)
    })
    let text = ""
    s.on("data", (d: Buffer) => {
      text += d.toString("utf8")
    })
    s.on("error", () => undefined)
    s.on("close", () => {
      const [head = "", body = ""] = text.split("\r\n\r\n")
      resolve({ status: Number(head.split(" ")[1]), head: head.toLowerCase(), body })
    })
  })

const serve = async (handler: Parameters<typeof createServer>[1]) => {
  const server: Server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  closers.push(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as AddressInfo).port
}

describe("an oversize request body", () => {
  it("inference provider: 413 with the broker's message and CORS headers", async () => {
    const port = await serve(
      routeListener(async (req, res) => {
        await readBody(req, MAX_BODY_BYTES)
        sendError(req, res, 200, "read the whole body")
      }, answerFailure),
    )
    const r = await oversize(port, MAX_BODY_BYTES + 1, "origin: http://app.example\r\n")
    expect(r.status).toBe(413)
    expect(JSON.parse(r.body)).toEqual({ error: "Request body size exceeds the limit of 32MB" })
    expect(r.head).toContain("access-control-allow-origin: http://app.example")
    expect(r.head).toContain("connection: close")
  })

  it("inference provider's LoRA deploy route: the same 413, not a 400 that calls the body 'not JSON'", async () => {
    const port = await serve(
      routeListener((req, res) => serveLora(new LoraAdapters(), req, res, "/adapters/deploy"), answerFailure),
    )
    const r = await oversize(port, MAX_BODY_BYTES + 1)
    expect(r.status).toBe(413)
    expect(JSON.parse(r.body)).toEqual({ error: "Request body size exceeds the limit of 32MB" })
    expect(r.head).toContain("connection: close")
  })

  it("fine-tuning broker: 413 with its message and gin's content type", async () => {
    const port = await serve(
      routeListener(async (req, res) => {
        await readBody(req, 4096)
        sendFineTuningError(res, 200, "read the whole body")
      }, answerFineTuning),
    )
    const r = await oversize(port, 1024 * 1024)
    expect(r.status).toBe(413)
    expect(JSON.parse(r.body)).toEqual({ error: "request body exceeds 4096 bytes" })
    expect(r.head).toContain("content-type: application/json; charset=utf-8")
  })

  it("storage node JSON-RPC server: 413 instead of a reset, and the handler never runs", async () => {
    let calls = 0
    const rpc = await startRpcServer(async () => {
      calls++
      return null
    })
    closers.push(rpc.close)
    const r = await oversize(rpc.port, 65 * 1024 * 1024)
    expect(r.status).toBe(413)
    expect(JSON.parse(r.body)).toEqual({ error: `request body exceeds ${64 * 1024 * 1024} bytes` })
    expect(calls).toBe(0)
  })

  it("RPC fault proxy: 413, nothing forwarded to the node", async () => {
    const node = await serve((_req, res) => res.end("{}"))
    const proxy = await startRpcFaultProxy({ upstream: `http://127.0.0.1:${node}` })
    closers.push(proxy.close)
    const r = await oversize(Number(new URL(proxy.url).port), 65 * 1024 * 1024)
    expect(r.status).toBe(413)
    expect(JSON.parse(r.body)).toEqual({ error: `request body exceeds ${64 * 1024 * 1024} bytes` })
    expect(proxy.counters()).toMatchObject({ requests: 1, forwarded: 0 })
  })
})
