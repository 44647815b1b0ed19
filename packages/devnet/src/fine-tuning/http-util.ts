/** Small HTTP helpers for the emulated broker: bounded body reads, broker-style replies, multipart/form-data. */
import type { IncomingMessage, ServerResponse } from "node:http"
import {
  InvalidJsonBody,
  InvalidMultipartBody,
  parseFormData,
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

/** A bounded multipart/form-data body parsed by the platform (core's parseFormData), as the broker-style 400s. */
export const parseMultipart = async (contentType: string | undefined, body: Buffer): Promise<FormData> => {
  try {
    return await parseFormData(body, contentType)
  } catch (e) {
    if (!(e instanceof InvalidMultipartBody)) throw e
    throw new HttpFailure(400, e.reason === "syntax" ? "malformed multipart body" : "expected multipart/form-data")
  }
}
