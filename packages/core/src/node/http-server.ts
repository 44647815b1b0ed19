/**
 * The server side of our HTTP: the devnet's emulated providers and storage, and the inference gateway, read request
 * bodies and answer JSON through these, so a body ceiling and an oversize request mean the same thing everywhere.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http"
import { Data } from "effect"
import { isRecord } from "../json.js"

/** A request body past the server's ceiling (`declared` when the Content-Length already said so). */
export class RequestBodyTooLarge extends Data.TaggedError("RequestBodyTooLarge")<{
  readonly limit: number
  readonly declared?: number
}> {
  readonly status = 413
  override get message() {
    return `request body exceeds ${this.limit} bytes`
  }
}

/** A request body that is not JSON (`syntax`) or not the JSON object the route expects (`not-object`). */
export class InvalidJsonBody extends Data.TaggedError("InvalidJsonBody")<{
  readonly reason: "syntax" | "not-object"
}> {
  readonly status = 400
  override get message() {
    return this.reason === "syntax" ? "the request body is not valid JSON" : "the request body is not a JSON object"
  }
}

/** Requests whose body went past the ceiling: their answer closes the connection. */
const overLimit = new WeakSet<IncomingMessage>()

/**
 * After the ceiling nothing more is kept. What the client is still sending is discarded for up to `linger` bytes (so a
 * client that writes its whole body before reading gets to read the 413, not a reset); past that the socket is
 * destroyed, so a hostile client cannot make us read an endless body.
 */
const stopReading = (req: IncomingMessage, linger: number) => {
  overLimit.add(req)
  let discarded = 0
  const discard = (c: Buffer) => {
    discarded += c.length
    if (discarded > linger) {
      req.off("data", discard)
      req.socket.destroy()
    }
  }
  req.on("data", discard)
  req.resume()
}

/**
 * Reads the whole request body, keeping at most `limit` bytes. Past it (declared or counted) the promise rejects with
 * `RequestBodyTooLarge` at once; answer it with {@link sendJson} or {@link sendJsonError}, which close the connection.
 */
export const readBody = (req: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    // Also after the promise settled: a socket we destroy must not raise an unhandled 'error'.
    req.on("error", reject)
    const linger = Math.max(limit, 64 * 1024)
    const header = req.headers["content-length"]
    const declared = header === undefined ? Number.NaN : Number(header)
    if (Number.isFinite(declared) && declared > limit) {
      stopReading(req, linger)
      reject(new RequestBodyTooLarge({ limit, declared }))
      return
    }
    const parts: Buffer[] = []
    let size = 0
    const onData = (c: Buffer) => {
      size += c.length
      if (size <= limit) {
        parts.push(c)
        return
      }
      req.off("data", onData)
      parts.length = 0
      stopReading(req, linger)
      reject(new RequestBodyTooLarge({ limit }))
    }
    req.on("data", onData)
    req.once("end", () => resolve(Buffer.concat(parts)))
    req.once("close", () => {
      if (!req.complete) reject(new Error("the client closed the connection before the request body ended"))
    })
  })

/** Parses a body that must be a JSON object; `InvalidJsonBody` otherwise. */
export const parseJsonObject = (body: Uint8Array): Record<string, unknown> => {
  let v: unknown
  try {
    v = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"))
  } catch {
    throw new InvalidJsonBody({ reason: "syntax" })
  }
  if (!isRecord(v)) throw new InvalidJsonBody({ reason: "not-object" })
  return v
}

/** {@link readBody} then {@link parseJsonObject}. */
export const readJsonObject = async (req: IncomingMessage, limit: number): Promise<Record<string, unknown>> =>
  parseJsonObject(await readBody(req, limit))

/** JSON.stringify that writes bigints as decimal strings (amounts in neuron). */
export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))

/**
 * Answers `body` as JSON with its content-type and content-length (`headers` may add to or override them). A string
 * body is sent as it is (already JSON). The answer to an oversize request closes the connection.
 */
export const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void => {
  const bytes = Buffer.from(typeof body === "string" ? body : toJson(body), "utf8")
  res.writeHead(status, {
    "content-type": "application/json",
    ...headers,
    "content-length": bytes.length,
    ...(overLimit.has(res.req) ? { connection: "close" } : {}),
  })
  res.end(bytes)
}

/** The OpenAI-style error a client of an OpenAI-compatible server expects. */
export interface JsonErrorDetail {
  readonly message: string
  readonly type: string
  readonly code?: string
  /** More fields inside `error` (a gateway's `attempts`, a spending cap's numbers). */
  readonly extra?: Record<string, unknown>
}

/** `{ error: { message, type, code, param: null, ...extra } }` (`code` left out when not given). */
export const jsonErrorBody = (e: JsonErrorDetail) => ({
  error: {
    message: e.message,
    type: e.type,
    ...(e.code === undefined ? {} : { code: e.code }),
    param: null,
    ...e.extra,
  },
})

/** Answers an OpenAI-style JSON error. */
export const sendJsonError = (
  res: ServerResponse,
  status: number,
  error: JsonErrorDetail,
  headers: OutgoingHttpHeaders = {},
): void => sendJson(res, status, jsonErrorBody(error), headers)
