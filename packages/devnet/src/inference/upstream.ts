/**
 * Upstream mode: forward the (possibly rewritten) request bytes to a real OpenAI-compatible backend at
 * `{upstream}/chat/completions` and hand back its raw bytes. node:http rather than fetch, because fetch decodes
 * `Content-Encoding` and the signature must cover the bytes exactly as the backend sent them (§9.1).
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http"
import { request as httpsRequest } from "node:https"
import { HttpFailure } from "@0g-compute/core/node"
import { Redacted } from "effect"
import type { SourceResponse } from "./model.js"

/** Client headers the broker never forwards (§4.1), plus hop-by-hop headers. */
const NOT_FORWARDED = new Set([
  "address",
  "fee",
  "input-fee",
  "nonce",
  "request-hash",
  "signature",
  "session-token",
  "session-signature",
  "authorization",
  "host",
  "content-length",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
])

/** Upstream response headers that describe the upstream hop, not the body. */
export const HOP_BY_HOP = new Set([
  "content-length",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "trailer",
])

export const filterHeaders = (headers: IncomingHttpHeaders, drop: ReadonlySet<string>): OutgoingHttpHeaders => {
  const out: OutgoingHttpHeaders = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !drop.has(k.toLowerCase())) out[k] = v
  return out
}

/** Five minutes without a byte from the backend ends the request (the broker's header timeout). */
const IDLE_TIMEOUT_MS = 300_000

export const upstreamCompletion = (
  upstream: string,
  body: Uint8Array,
  clientHeaders: IncomingHttpHeaders,
  apiKey: Redacted.Redacted<string> | undefined,
): Promise<SourceResponse> =>
  new Promise((resolve, reject) => {
    const url = new URL(`${upstream.replace(/\/+$/, "")}/chat/completions`)
    const headers: OutgoingHttpHeaders = {}
    // First value only, as the broker forwards them.
    for (const [k, v] of Object.entries(clientHeaders)) {
      if (v === undefined || NOT_FORWARDED.has(k.toLowerCase())) continue
      headers[k] = Array.isArray(v) ? (v[0] ?? "") : v
    }
    headers["content-length"] = body.length
    if (apiKey !== undefined) headers.authorization = `Bearer ${Redacted.value(apiKey)}`
    const send = url.protocol === "https:" ? httpsRequest : httpRequest
    const req = send(url, { method: "POST", headers }, (res) => {
      // Errors after a cancel (req.destroy) surface here; the body iterator reports the ones that matter.
      res.on("error", () => {})
      resolve({
        status: res.statusCode ?? 502,
        headers: filterHeaders(res.headers, HOP_BY_HOP),
        body: (async function* () {
          for await (const chunk of res) yield new Uint8Array(chunk as Buffer)
        })(),
        cancel: () => req.destroy(),
      })
    })
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error("upstream timed out")))
    // `on`, not `once`: an error after the response started must not become an unhandled event.
    req.on("error", (cause) => reject(Object.assign(new HttpFailure(502, "upstream unreachable"), { cause })))
    req.end(body)
  })
