/** The emulated broker's wire shape: gin's JSON content type, text replies, and `{"error": …}` for every failure. */
import type { IncomingMessage, ServerResponse } from "node:http"
import { describeCause } from "@0g-compute/core"
import { httpFailureOf, sendJson as sendJsonWith } from "@0g-compute/core/node"

/** gin's `c.JSON`: the broker's content type carries the charset. */
export const sendJson = (res: ServerResponse, status: number, body: unknown) =>
  sendJsonWith(res, status, body, { "content-type": "application/json; charset=utf-8" })

export const sendText = (res: ServerResponse, status: number, text: string) => {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

/** The broker's error shape: `{"error": "..."}`. */
export const sendError = (res: ServerResponse, status: number, message: string) =>
  sendJson(res, status, { error: message })

/** A route's failure as the broker answers it (core's routeListener calls this): its status, else a 500. */
export const answerFailure = (e: unknown, _req: IncomingMessage, res: ServerResponse) => {
  const failure = httpFailureOf(e)
  sendError(res, failure?.status ?? 500, failure?.message ?? describeCause(e))
}
