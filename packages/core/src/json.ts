/**
 * Reading JSON that came from outside (a provider, an RPC, a request body): a value is only read as an object when it
 * is one — not null, not an array.
 */

/** A JSON object whose fields may be read. */
export const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** `text` parsed, when it is a JSON object; `undefined` for anything else (not JSON, an array, a scalar). */
export const parseJsonRecord = (text: string): Record<string, unknown> | undefined => {
  try {
    const v: unknown = JSON.parse(text)
    return isRecord(v) ? v : undefined
  } catch {
    return undefined
  }
}
