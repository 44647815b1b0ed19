/**
 * multipart/form-data on the server side, parsed by the platform (undici's `Response.formData()`), not by hand. The
 * input is the bytes `readBody` already bounded: no parser ever reads from a socket, so a body past the ceiling is
 * answered 413 without being parsed.
 */
import { Data } from "effect"

/** A body that is not multipart/form-data (`not-multipart`), names no boundary, or does not parse (`syntax`). */
export class InvalidMultipartBody extends Data.TaggedError("InvalidMultipartBody")<{
  readonly reason: "not-multipart" | "no-boundary" | "syntax"
}> {
  readonly status = 400
  override get message() {
    return this.reason === "not-multipart"
      ? "the request body is not multipart/form-data"
      : this.reason === "no-boundary"
        ? "the multipart/form-data content type names no boundary"
        : "the multipart/form-data body is malformed"
  }
}

/** Whether a content type is multipart/form-data (any parameters). */
export const isFormData = (contentType: string | undefined): boolean =>
  /^\s*multipart\/form-data\s*(?:;|$)/i.test(contentType ?? "")

/** Parses bounded multipart bytes with the platform; `InvalidMultipartBody` when they are not a form. */
export const parseFormData = async (body: Uint8Array, contentType: string | undefined): Promise<FormData> => {
  if (contentType === undefined || !isFormData(contentType)) throw new InvalidMultipartBody({ reason: "not-multipart" })
  if (!/;\s*boundary\s*=\s*\S/i.test(contentType)) throw new InvalidMultipartBody({ reason: "no-boundary" })
  try {
    // A view on the same bytes (no copy), typed as the BodyInit it is.
    const bytes = new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength)
    return await new Response(bytes, { headers: { "content-type": contentType } }).formData()
  } catch {
    throw new InvalidMultipartBody({ reason: "syntax" })
  }
}

/** A text field's value (first occurrence); undefined when absent or sent as a file. */
export const formText = (form: FormData, name: string): string | undefined => {
  const v = form.get(name)
  return typeof v === "string" ? v : undefined
}

/** A field's bytes (first occurrence), file or text; undefined when absent. */
export const formBytes = async (form: FormData, name: string): Promise<Uint8Array | undefined> => {
  const v = form.get(name)
  if (v === null) return undefined
  return typeof v === "string" ? new TextEncoder().encode(v) : new Uint8Array(await v.arrayBuffer())
}
