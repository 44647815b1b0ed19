/** Byte helpers every layer needs (core has no dependencies, so the packages above take them from here). */

/**
 * The chunks as one array, in order; `length` when the caller already counted it. One chunk is returned as it is
 * (no copy); callers that keep the result while reusing the chunk must copy.
 */
export const joinBytes = (parts: ReadonlyArray<Uint8Array>, length?: number): Uint8Array => {
  if (parts.length === 1) return parts[0] as Uint8Array
  const out = new Uint8Array(length ?? parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
