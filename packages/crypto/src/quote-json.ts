/**
 * TEE quote bodies (the provider's `/quote` JSON) carry nested parts (`event_log`, `tcb_info`, `info`) either as JSON
 * values or as strings holding JSON; both the inference and the fine-tuning quote readers take them either way.
 */

/** The value itself, or the JSON a string holds; `undefined` for a string that is not JSON. */
export const quoteJsonField = (u: unknown): unknown => {
  if (typeof u !== "string") return u
  try {
    return JSON.parse(u)
  } catch {
    return undefined
  }
}
