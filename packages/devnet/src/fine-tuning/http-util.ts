/** Small HTTP helpers for the emulated broker: bounded body reads, broker-style replies, multipart/form-data. */
import type { IncomingMessage, ServerResponse } from "node:http"
import {
  InvalidJsonBody,
  parseJsonObject,
  RequestBodyTooLarge,
  readBody as readCapped,
  sendJson as sendJsonWith,
} from "@0g-compute/core/node"

export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** Reads the whole body, failing with 413 beyond `limit` bytes (the answer closes the connection). */
export const readBody = async (req: IncomingMessage, limit: number): Promise<Buffer> => {
  try {
    return await readCapped(req, limit)
  } catch (e) {
    throw e instanceof RequestBodyTooLarge ? new HttpFailure(413, `request body too large (limit ${limit} bytes)`) : e
  }
}

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

export const parseJsonBody = (body: Buffer): Record<string, unknown> => {
  try {
    return parseJsonObject(body)
  } catch (e) {
    if (!(e instanceof InvalidJsonBody)) throw e
    throw new HttpFailure(400, e.reason === "syntax" ? "invalid JSON body" : "expected a JSON object")
  }
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
