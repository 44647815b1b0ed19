/** Deadlines and body caps of the JSON-RPC transport, against a real HTTP server that misbehaves on purpose. */
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { NodeRpcError } from "../errors.js"
import { isTransient, segmentReplyCap, zgs } from "./node-api.js"
import { type FetchRpcOptions, StorageRpc } from "./transport.js"

type Behaviour = (res: ServerResponse) => void

let behaviour: Behaviour = (res) => res.end()
const timers = new Set<NodeJS.Timeout>()
const server = createServer((req, res) => {
  req.resume()
  req.on("end", () => behaviour(res))
})
let url = ""

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  for (const t of timers) clearInterval(t)
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const fail = async (
  options: FetchRpcOptions,
  eff: Effect.Effect<unknown, NodeRpcError, StorageRpc> = zgs.getStatus(url),
): Promise<NodeRpcError> => {
  const r = await Effect.runPromise(Effect.result(eff.pipe(Effect.provide(StorageRpc.layer(options)))))
  if (r._tag !== "Failure") throw new Error("expected a failure")
  return r.failure
}

/** Streams `total` bytes of a JSON string body; resolves with how many bytes were written before the socket closed. */
const stream = (total: number, declare: boolean) =>
  new Promise<{ written: number }>((resolveWritten) => {
    behaviour = (res) => {
      res.writeHead(200, declare ? { "content-length": String(total) } : {})
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      let written = 0
      res.on("close", () => resolveWritten({ written }))
      const pump = () => {
        while (written < total && !res.destroyed) {
          const piece = chunk.subarray(0, Math.min(chunk.length, total - written))
          written += piece.length
          if (!res.write(piece)) return void res.once("drain", pump)
        }
        res.end()
      }
      pump()
    }
  })

describe("transport deadlines", () => {
  it("a node that never answers hits the first-byte deadline", async () => {
    behaviour = () => undefined
    const e = await fail({ firstByteTimeoutMs: 200, timeoutMs: 10_000 })
    expect(e).toMatchObject({ _tag: "NodeRpcError", kind: "timeout", limit: 200, method: "zgs_getStatus" })
    expect(e.message).toContain("no reply within 200 ms")
  })

  it("a body that stalls after `{` hits the idle deadline", async () => {
    behaviour = (res) => {
      res.writeHead(200, { "content-type": "application/json" })
      res.write("{")
    }
    const e = await fail({ idleTimeoutMs: 200, timeoutMs: 10_000 })
    expect(e).toMatchObject({ kind: "timeout", limit: 200 })
    expect(e.message).toContain("stalled")
  })

  it("a body trickling forever hits the total deadline even though it never idles", async () => {
    behaviour = (res) => {
      res.writeHead(200)
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(" ")), 10)
      timers.add(t)
    }
    const e = await fail({ idleTimeoutMs: 5_000, firstByteTimeoutMs: 5_000, timeoutMs: 300 })
    expect(e).toMatchObject({ kind: "timeout", limit: 300 })
    expect(e.message).toContain("no complete reply within 300 ms")
  })
})

describe("transport body caps", () => {
  it("a declared content-length above the cap is refused before the body is read", async () => {
    const sent = stream(32 * 1024 * 1024, true)
    const e = await fail({ maxResponseBytes: 1024 * 1024 })
    expect(e).toMatchObject({ kind: "too-large", limit: 1024 * 1024 })
    expect(isTransient(e)).toBe(false)
    expect((await sent).written).toBeLessThan(32 * 1024 * 1024)
  })

  it("an undeclared (chunked) body is cut at the cap and the connection dropped", async () => {
    const sent = stream(64 * 1024 * 1024, false)
    const e = await fail({ maxResponseBytes: 1024 * 1024 })
    expect(e).toMatchObject({ kind: "too-large", limit: 1024 * 1024 })
    expect((await sent).written).toBeLessThan(64 * 1024 * 1024)
  })

  it("a segment reply is capped by the segment's declared size, not the general cap", async () => {
    void stream(512 * 1024, false)
    const e = await fail({}, zgs.downloadSegmentWithProofByTxSeq(url, 0, 0, 256))
    expect(e).toMatchObject({ kind: "too-large", limit: segmentReplyCap(256) })
    expect(segmentReplyCap(256)).toBeLessThan(512 * 1024)
  })
})
