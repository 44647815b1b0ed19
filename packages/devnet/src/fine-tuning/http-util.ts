/** Small HTTP helpers for the emulated broker: bounded body reads, broker-style replies, multipart/form-data. */
import type { IncomingMessage, ServerResponse } from "node:http"

export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** Reads the whole body, failing with 413 beyond `limit` bytes. */
export const readBody = (req: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0")
    if (declared > limit) {
      req.resume()
      reject(new HttpFailure(413, `request body too large (limit ${limit} bytes)`))
      return
    }
    const parts: Array<Buffer> = []
    let size = 0
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > limit) {
        req.destroy()
        reject(new HttpFailure(413, `request body too large (limit ${limit} bytes)`))
      } else parts.push(c)
    })
    req.on("end", () => resolve(Buffer.concat(parts)))
    req.on("error", reject)
  })

export const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  })
  res.end(text)
}

export const sendText = (res: ServerResponse, status: number, text: string) => {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

/** The broker's error shape: `{"error": "..."}`. */
export const sendError = (res: ServerResponse, status: number, message: string) =>
  sendJson(res, status, { error: message })

export const parseJsonBody = (body: Buffer): Record<string, unknown> => {
  let v: unknown
  try {
    v = JSON.parse(body.toString("utf8"))
  } catch {
    throw new HttpFailure(400, "invalid JSON body")
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new HttpFailure(400, "expected a JSON object")
  return v as Record<string, unknown>
}

export interface FormPart {
  readonly name: string
  readonly filename: string | undefined
  readonly data: Buffer
}

/** Parses a multipart/form-data body into its parts. */
export const parseMultipart = (contentType: string | undefined, body: Buffer): Map<string, FormPart> => {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? "")
  const b = boundary?.[1] ?? boundary?.[2]
  if (!/^multipart\/form-data/i.test(contentType ?? "") || b === undefined) {
    throw new HttpFailure(400, "expected multipart/form-data")
  }
  const delimiter = Buffer.from(`--${b}`)
  const parts = new Map<string, FormPart>()
  let pos = body.indexOf(delimiter)
  while (pos !== -1) {
    const start = pos + delimiter.length
    if (body.subarray(start, start + 2).toString() === "--") break // closing delimiter
    const headerEnd = body.indexOf("\r\n\r\n", start)
    if (headerEnd === -1) throw new HttpFailure(400, "malformed multipart body")
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd + 4)
    if (next === -1) throw new HttpFailure(400, "malformed multipart body")
    const headers = body.subarray(start, headerEnd).toString("utf8")
    const name = /name="([^"]*)"/i.exec(headers)?.[1]
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1]
    if (name !== undefined) parts.set(name, { name, filename, data: body.subarray(headerEnd + 4, next) })
    pos = next + 2
  }
  return parts
}
