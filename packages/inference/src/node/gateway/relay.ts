/**
 * How the gateway hands a verified-at-the-end stream to its client.
 *
 * - "pass-through": chunks go out as they arrive. Before `data: [DONE]` (which the verifying fetch delivers only once
 *   the exchange verified) one more chunk carries the verdict (`x_zg_verification`, with empty `choices` so OpenAI
 *   clients skip it), and the `x-zg-verified` trailer repeats it. A failed verification ends the stream with an
 *   error event instead, and the trailer names the failure.
 * - "buffer": nothing goes out until the upstream ended and verified; then the whole stream is sent with an
 *   `x-zg-verified` header. A failed verification sends no byte of it (the caller may fail over or answer an error).
 */
import type { ServerResponse } from "node:http"

export type StreamVerifyMode = "buffer" | "pass-through"

const DONE = Buffer.from("data: [DONE]")

export interface Verdict {
  readonly verdict: string
  /** Verification level (verify/levels.ts): "bytes-bound", "signer-bound" or "unverifiable". */
  readonly level?: string | undefined
  readonly provider: string
  readonly requestId: string
  readonly chatId: string | undefined
}

const verdictEvent = (v: Verdict) =>
  `data: ${JSON.stringify({
    id: v.chatId ?? v.requestId,
    object: "chat.completion.chunk",
    choices: [],
    x_zg_verification: {
      verdict: v.verdict,
      level: v.level,
      provider: v.provider,
      request_id: v.requestId,
      chat_id: v.chatId,
    },
  })}\n\n`

/** Cancels `reader` when the client goes away before the response finished. */
const cancelOnClose = (res: ServerResponse, reader: ReadableStreamDefaultReader<Uint8Array>) => {
  res.on("close", () => {
    if (!res.writableFinished) void reader.cancel().catch(() => undefined)
  })
}

export type Buffered =
  | { readonly ok: true; readonly chunks: ReadonlyArray<Uint8Array> }
  | { readonly ok: false; readonly error: unknown }

/** Reads the whole verifying stream, holding at most `maxBytes`; the client's departure cancels it. */
export const bufferStream = async (
  body: ReadableStream<Uint8Array>,
  res: ServerResponse,
  maxBytes: number,
): Promise<Buffered> => {
  const reader = body.getReader()
  cancelOnClose(res, reader)
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      size += r.value.length
      if (size > maxBytes) {
        void reader.cancel().catch(() => undefined)
        return { ok: false, error: new BufferLimit(maxBytes) }
      }
      chunks.push(r.value)
    }
    return { ok: true, chunks }
  } catch (error) {
    return { ok: false, error }
  }
}

export class BufferLimit extends Error {
  readonly _tag = "StreamTooLargeToBuffer"
  constructor(readonly maxBytes: number) {
    super(`the stream exceeded ${maxBytes} bytes while held for verification`)
  }
}

/** Sends a buffered, verified stream. */
export const sendBuffered = (
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  chunks: ReadonlyArray<Uint8Array>,
  verdict: Verdict,
) => {
  res.writeHead(status, {
    ...headers,
    "cache-control": "no-cache",
    "x-zg-verification": "buffer",
    "x-zg-verified": verdict.verdict,
    ...(verdict.level === undefined ? {} : { "x-zg-verification-level": verdict.level }),
  })
  for (const c of chunks) {
    const b = Buffer.from(c.buffer, c.byteOffset, c.byteLength)
    const at = b.indexOf(DONE)
    if (at < 0) res.write(c)
    else {
      res.write(b.subarray(0, at))
      res.write(verdictEvent(verdict))
      res.write(b.subarray(at))
    }
  }
  res.end()
}

/**
 * Relays a verifying stream as it arrives. `verdict` is asked when the terminal event shows up (by then the fetch has
 * verified and recorded the exchange). Resolves to the error the stream ended with, if any (already reported to the
 * client as an error event).
 */
export const passThrough = async (
  body: ReadableStream<Uint8Array>,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  verdict: () => Verdict,
  errorEvent: (e: unknown) => string,
): Promise<unknown> => {
  res.writeHead(status, {
    ...headers,
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
    "x-zg-verification": "pass-through",
    trailer: "x-zg-verified, x-zg-verification-level",
  })
  const reader = body.getReader()
  cancelOnClose(res, reader)
  let marked = false
  let failure: unknown
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const b = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength)
      const at = marked ? -1 : b.indexOf(DONE)
      if (at < 0) res.write(r.value)
      else {
        marked = true
        res.write(b.subarray(0, at))
        res.write(verdictEvent(verdict()))
        res.write(b.subarray(at))
      }
    }
    if (res.destroyed) return undefined // the client left; the fetch drains and records the exchange
    const v = verdict()
    if (!marked) res.write(verdictEvent(v))
    res.addTrailers({
      "x-zg-verified": v.verdict,
      ...(v.level === undefined ? {} : { "x-zg-verification-level": v.level }),
    })
  } catch (e) {
    failure = e
    if (res.destroyed) return failure
    res.write(errorEvent(e))
    res.addTrailers({ "x-zg-verified": (e as { _tag?: string })?._tag ?? "Error" })
  }
  res.end()
  return failure
}
