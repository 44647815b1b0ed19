/** HTTP plumbing of the provider server: CORS, broker-style JSON errors, the body cap, backpressured writes. */
import { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse, STATUS_CODES } from "node:http"
import { HttpFailure, httpFailureOf, RequestBodyTooLarge, sendJson as sendJsonWith } from "@0g-compute/core/node"

/** The broker's body cap (inference-protocol.md §4.4). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024

/** Exposed on every response so browser clients can read the chat id and the provider. */
export const EXPOSED_HEADERS = "Provider, content-encoding, ZG-Res-Key"

/**
 * The broker's CORS (gin-contrib/cors with every origin allowed and credentials on): a browser origin is reflected,
 * and only a fixed set of request headers is allowed, so a client that adds its own headers fails the preflight here
 * as it does against a real provider. Requests without an Origin (not from a browser) get `*`.
 */
export const ALLOWED_REQUEST_HEADERS = "Content-Type, Authorization, X-Requested-With, Accept, Origin"

export const corsHeaders = (req: IncomingMessage): OutgoingHttpHeaders => {
  const origin = req.headers.origin
  return {
    ...(origin === undefined
      ? { "access-control-allow-origin": "*" }
      : { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "Origin" }),
    "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS, PATCH",
    "access-control-allow-headers": ALLOWED_REQUEST_HEADERS,
    "access-control-expose-headers": EXPOSED_HEADERS,
    "access-control-max-age": "43200",
  }
}

export const sendJson = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void =>
  sendJsonWith(res, status, body, corsHeaders(req))

/** Broker error body. For 5xx the message is replaced by the generic status text, as the broker does. */
export const sendError = (req: IncomingMessage, res: ServerResponse, status: number, message: string): void => {
  if (res.headersSent) {
    res.destroy()
    return
  }
  sendJson(req, res, status, { error: status >= 500 ? (STATUS_CODES[status] ?? "Internal Server Error") : message })
}

/**
 * Answers a route's failure as the broker does (core's routeListener calls this): below 500 its status and message —
 * the body cap's 413 in the broker's words, a failed session check with `sessionStatus` (the 2026 broker says 400);
 * anything else a 5xx that says only its status text. True when it was the server's own failure, for the caller to report.
 */
export const answerFailure = (e: unknown, req: IncomingMessage, res: ServerResponse, sessionStatus = 401): boolean => {
  const failure =
    e instanceof RequestBodyTooLarge
      ? new HttpFailure(413, "Request body size exceeds the limit of 32MB")
      : (httpFailureOf(e) ?? new HttpFailure(500, "internal error"))
  const status = failure.status === 401 ? sessionStatus : failure.status
  sendError(req, res, status, failure.message)
  return status >= 500
}

/** Writes one chunk, waiting for `drain` under backpressure. A client that went away is not an error: billing goes on. */
export const writeChunk = async (res: ServerResponse, chunk: Uint8Array): Promise<void> => {
  if (res.destroyed || res.writableEnded) return
  if (res.write(chunk)) return
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done)
      res.off("close", done)
      resolve()
    }
    res.once("drain", done)
    res.once("close", done)
  })
}

export const endResponse = (res: ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    if (res.destroyed || res.writableEnded) return resolve()
    res.end(() => resolve())
  })

export const isLoopback = (req: IncomingMessage): boolean => {
  const a = req.socket.remoteAddress ?? ""
  return a === "127.0.0.1" || a === "::1" || a === "::ffff:127.0.0.1"
}
