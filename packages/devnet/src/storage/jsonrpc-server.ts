/**
 * A JSON-RPC 2.0 HTTP server on 127.0.0.1 (free port). Logical errors are HTTP 200 with an `error` object, as the
 * storage node does; the request `id` is echoed exactly as parsed (the TS SDK sends floats beyond 2^53).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { describeCause } from "@0g-compute/core"
import { HttpFailure, httpFailureOf, readBody, routeListener, sendJson } from "@0g-compute/core/node"
import { closeServer, listenLoopback } from "../loopback.js"

/** A JSON-RPC error with the node's wording: `invalid_params(param, msg)` → −32602 "Invalid params: <param>". */
export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: string,
  ) {
    super(message)
  }
}

export const invalidParams = (param: string, msg: string) => new RpcFailure(-32602, `Invalid params: ${param}`, msg)
export const internalError = (msg: string) => new RpcFailure(-32603, "Internal error", msg)

export type RpcHandler = (method: string, params: ReadonlyArray<unknown>, path: string) => Promise<unknown> | unknown

/**
 * Hostile replies, for tests of the client's limits: `stall: "headers"` never answers, `stall: "body"` sends the
 * headers and `{` then nothing, `hugeBytes` streams a reply of that many bytes (no content-length).
 */
export type HostileReply = { readonly stall: "headers" | "body" } | { readonly hugeBytes: number }

/** The hostile-reply switches of every emulated storage server (node and indexer), for tests of the client's limits. */
export interface HostileSwitches {
  /** Never answer (`headers`), or send the headers and `{` then nothing (`body`); undefined: normal. */
  stall(mode: "headers" | "body" | undefined): void
  /** Answer `method` (every method when omitted) with a reply of `bytes` bytes; undefined: normal. */
  huge(bytes: number | undefined, method?: string): void
}

/** The switches, what they make a gate answer for `method` (a stall before a huge reply), and their reset. */
export const hostileSwitches = () => {
  let stall: "headers" | "body" | undefined
  let huge: { readonly bytes: number; readonly method: string | undefined } | undefined
  const switches: HostileSwitches = {
    stall: (mode) => {
      stall = mode
    },
    huge: (bytes, method) => {
      huge = bytes === undefined ? undefined : { bytes, method }
    },
  }
  const reply = (method: string): HostileReply | undefined =>
    stall !== undefined
      ? { stall }
      : huge !== undefined && (huge.method === undefined || huge.method === method)
        ? { hugeBytes: huge.bytes }
        : undefined
  const reset = () => {
    stall = undefined
    huge = undefined
  }
  return { switches, reply, reset }
}

/** What a gate may answer for the whole server: an HTTP status, a JSON-RPC error or a hostile reply. */
export type GateAnswer = number | RpcFailure | HostileReply | undefined

export interface RpcServer {
  readonly url: string
  readonly port: number
  readonly close: () => Promise<void>
}

const MAX_BODY = 64 * 1024 * 1024

/** Streams `{"jsonrpc":"2.0","result":null,"pad":"xxx…"}` of about `bytes` bytes, honouring back-pressure. */
const sendHuge = (res: ServerResponse, bytes: number) => {
  res.writeHead(200, { "content-type": "application/json" })
  const chunk = Buffer.alloc(64 * 1024, 0x78)
  let left = bytes
  const pump = () => {
    while (left > 0 && !res.destroyed) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
      left -= piece.length
      if (!res.write(piece)) return void res.once("drain", pump)
    }
    if (!res.destroyed) res.end('"}')
  }
  res.write('{"jsonrpc":"2.0","id":1,"result":null,"pad":"')
  pump()
}

const hostile = (res: ServerResponse, h: HostileReply) => {
  if ("hugeBytes" in h) return sendHuge(res, h.hugeBytes)
  if (h.stall === "body") {
    res.writeHead(200, { "content-type": "application/json" })
    res.write("{")
  }
  // Otherwise nothing at all: the connection stays open until the client gives up or the server closes.
}

/** A failure of the HTTP request itself (not POST, past the body ceiling): its status and `{"error": …}`. */
const answerHttp = (e: unknown, _req: IncomingMessage, res: ServerResponse) => {
  const failure = httpFailureOf(e) ?? new HttpFailure(500, describeCause(e))
  sendJson(res, failure.status, { error: failure.message })
}

/**
 * Serves `handler`. `gate` runs first on every request and may answer for the whole server (fault switches):
 * a number is an HTTP status to reply with, a RpcFailure a JSON-RPC error, undefined lets the request through.
 */
export const startRpcServer = async (
  handler: RpcHandler,
  gate: (method: string, path: string) => GateAnswer = () => undefined,
): Promise<RpcServer> => {
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST") throw new HttpFailure(405, "POST only")
    // Past the ceiling: an HTTP 413 (not a JSON-RPC error), and the connection closes.
    const raw = (await readBody(req, MAX_BODY)).toString("utf8")
    let id: unknown = null
    try {
      const body = JSON.parse(raw) as { method?: unknown; params?: unknown; id?: unknown }
      id = body.id ?? null
      if (typeof body.method !== "string") throw new RpcFailure(-32600, "Invalid request")
      const path = req.url ?? "/"
      const gated = gate(body.method, path)
      if (typeof gated === "number") return sendJson(res, gated, { error: `node unavailable (HTTP ${gated})` })
      if (gated instanceof RpcFailure) throw gated
      if (gated) return hostile(res, gated)
      const params = Array.isArray(body.params) ? body.params : []
      const result = await handler(body.method, params, path)
      sendJson(res, 200, { jsonrpc: "2.0", result: result ?? null, id })
    } catch (e) {
      const failure =
        e instanceof RpcFailure
          ? e
          : e instanceof SyntaxError
            ? new RpcFailure(-32700, "Parse error")
            : internalError(describeCause(e))
      const error: Record<string, unknown> = { code: failure.code, message: failure.message }
      if (failure.data !== undefined) error.data = failure.data
      if (!res.headersSent) sendJson(res, 200, { jsonrpc: "2.0", error, id })
    }
  }
  const server: Server = createServer(routeListener(serve, answerHttp))
  server.keepAliveTimeout = 30_000
  const port = await listenLoopback(server)
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => closeServer(server),
  }
}
