/**
 * How our servers (the devnet's emulated providers, storage and RPC proxy, the inference gateway, the router) end a
 * request in an error: routes throw, one listener answers. Each server keeps only its wire shape — the broker's
 * `{"error": message}` or OpenAI's `{"error": {message, type, code}}` — and the body ceiling's 413 and a malformed
 * body's 400 reach every server as the same failure.
 */
import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from "node:http"
import { InvalidJsonBody, RequestBodyTooLarge, sendJsonError } from "./http-server.js"
import { InvalidMultipartBody } from "./multipart.js"

export interface HttpFailureOptions {
  /** A machine-readable name for the failure (OpenAI-style bodies carry it as `code`). */
  readonly code?: string
  /** OpenAI's error `type`; `invalid_request_error` unless given. */
  readonly type?: string
  /** More fields inside an OpenAI-style `error` (a gateway's failed attempts, a spending cap's numbers). */
  readonly extra?: Record<string, unknown>
}

/** A request that ends in an error answer with this HTTP status and one-line message. */
export class HttpFailure extends Error {
  readonly code: string
  readonly type: string
  readonly extra: Record<string, unknown>
  constructor(
    readonly status: number,
    message: string,
    options: HttpFailureOptions = {},
  ) {
    super(message)
    this.name = "HttpFailure"
    this.code = options.code ?? "HttpFailure"
    this.type = options.type ?? "invalid_request_error"
    this.extra = options.extra ?? {}
  }
}

/**
 * The failure `e` is answered as: an {@link HttpFailure} as it is; a body past the ceiling (413) or a body that is not
 * the JSON or multipart the route reads (400) with its tag as the code; anything else undefined — the server's own 5xx.
 */
export const httpFailureOf = (e: unknown): HttpFailure | undefined => {
  if (e instanceof HttpFailure) return e
  if (e instanceof RequestBodyTooLarge || e instanceof InvalidJsonBody || e instanceof InvalidMultipartBody)
    return new HttpFailure(e.status, e.message, { code: e._tag })
  return undefined
}

/** Answers `failure` OpenAI-style: `{"error": {message, type, code, param: null, ...extra}}` with its status. */
export const sendFailure = (res: ServerResponse, failure: HttpFailure, headers: OutgoingHttpHeaders = {}): void =>
  sendJsonError(
    res,
    failure.status,
    { message: failure.message, type: failure.type, code: failure.code, extra: failure.extra },
    headers,
  )

/**
 * A node:http listener over an async route. What the route throws before its answer started is answered by `answer`
 * (the server's wire shape; {@link httpFailureOf} says which failure it is); once the answer started, the connection
 * is destroyed instead, so a cut answer never looks whole (an answer already ended is left to finish), and `cut` hears
 * of the failure.
 */
export const routeListener =
  (
    route: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>,
    answer: (e: unknown, req: IncomingMessage, res: ServerResponse) => void,
    cut?: (e: unknown, req: IncomingMessage) => void,
  ): RequestListener =>
  (req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        // A whole answer stays whole (destroying the socket would drop what it has not flushed yet).
        if (!res.writableEnded) res.destroy()
        return cut?.(e, req)
      }
      try {
        answer(e, req, res)
      } catch {
        res.destroy()
      }
    })
  }
