/**
 * Relays a backend response to the client the way the broker does (inference-protocol.md §4.1, §9.1): non-200
 * verbatim and unbilled; 200 with the provider headers, each chunk written as it arrives and hashed as received.
 * One chunk is held back so that billing, signing and caching happen before the last byte leaves. Faults apply to
 * the bytes written, never to the bytes hashed.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http"
import { setTimeout as sleep } from "node:timers/promises"
import { joinBytes } from "@0g-compute/core"
import { bodyHasher } from "@0g-compute/crypto"
import { flipAnyByte, flipContentByte } from "./faults.js"
import { corsHeaders, EXPOSED_HEADERS, endResponse, sendError, writeChunk } from "./http.js"
import type { SourceResponse } from "./model.js"
import type { InferenceFaults } from "./types.js"

export interface RelayOptions {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly chatKey: string
  readonly provider: string
  /** The request asked for a stream. */
  readonly stream: boolean
  /** A snapshot of the faults when the request arrived. */
  readonly faults: InferenceFaults
  /** Send `ZG-Res-Key` (default true; the 2026 broker omits it when its own TEE does not sign). */
  readonly resKey?: boolean
  /** Bills and signs the complete body; runs before the last chunk is written. */
  readonly finish: (body: Uint8Array, responseHashHex: string, contentEncoding: string | undefined) => Promise<void>
}

const header = (h: OutgoingHttpHeaders, name: string): string | undefined => {
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === name && v !== undefined) return String(v)
  return undefined
}

const MID_STREAM_ERROR = new TextEncoder().encode(
  `data: ${JSON.stringify({ error: { message: "Internal Server Error", type: "server_error", code: 500 } })}\n\n`,
)

export const relay = async (src: SourceResponse, o: RelayOptions): Promise<void> => {
  const { req, res, faults } = o
  if (src.status !== 200) {
    // Upstream errors pass through with their status, headers and body; nothing is billed or signed.
    res.writeHead(src.status, { ...corsHeaders(req), ...src.headers })
    for await (const chunk of src.body) await writeChunk(res, chunk)
    return endResponse(res)
  }
  const stream = o.stream || (header(src.headers, "content-type") ?? "").includes("text/event-stream")
  if (faults.failMidStream === true && !stream) {
    src.cancel()
    return sendError(req, res, 500, "fault: failMidStream")
  }

  const upstreamExpose = header(src.headers, "access-control-expose-headers")
  const headers: OutgoingHttpHeaders = { ...corsHeaders(req) }
  for (const [k, v] of Object.entries(src.headers)) {
    if (v !== undefined && k.toLowerCase() !== "content-length" && k.toLowerCase() !== "access-control-expose-headers")
      headers[k] = v
  }
  for (const [k, v] of Object.entries(faults.spoofHeaders ?? {})) headers[k] = v
  if (o.resKey !== false) headers["zg-res-key"] = o.chatKey
  headers.provider = o.provider
  headers["x-accel-buffering"] = "no"
  headers["access-control-expose-headers"] =
    upstreamExpose === undefined ? EXPOSED_HEADERS : `${upstreamExpose}, ${EXPOSED_HEADERS}`
  res.writeHead(200, headers)
  res.flushHeaders()

  const hasher = bodyHasher()
  const parts: Uint8Array[] = []
  let held: Uint8Array | undefined
  let written = 0
  let flipped = false
  const delay = faults.streamDelayMs ?? 0
  const emit = async (chunk: Uint8Array, last: boolean) => {
    let out = chunk
    if (faults.flipResponseByte === true && !flipped) {
      const f = flipContentByte(chunk) ?? (last ? flipAnyByte(chunk) : undefined)
      if (f !== undefined) {
        out = f
        flipped = true
      }
    }
    if (written > 0 && delay > 0) await sleep(delay)
    await writeChunk(res, out)
    written++
  }

  for await (const chunk of src.body) {
    hasher.update(chunk)
    parts.push(chunk)
    if (held !== undefined) {
      await emit(held, false)
      if (faults.failMidStream === true) {
        // Headers are out with 200: the failure shows as an SSE error event and a body that ends without [DONE].
        src.cancel()
        await writeChunk(res, MID_STREAM_ERROR)
        return endResponse(res)
      }
    }
    held = chunk
  }
  await o.finish(joinBytes(parts), hasher.digestHex(), header(src.headers, "content-encoding"))
  if (held !== undefined) await emit(held, true)
  await endResponse(res)
}
