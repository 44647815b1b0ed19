/**
 * The broker's canonical JSON form. The 2026 broker decodes a chat body into a Go `map[string]interface{}` and
 * re-encodes it with `encoding/json` whenever it rewrites something (EnsureStreamOptions, EnforceConfiguredModel,
 * StripBodyFields…), and it signs the re-encoded bytes. Go's encoder sorts object keys bytewise, writes no
 * whitespace, escapes `<`, `>`, `&`, U+2028 and U+2029, and prints float64 numbers in the same shortest form as
 * JavaScript. A body already in that form is a fixed point of every such rewrite, so the request hash stays exact.
 */
import { isRecord } from "@0g-compute/core"

/** Bytewise UTF-8 order (Go's sort of map keys); differs from UTF-16 order only around astral characters. */
const compareUtf8 = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number
    const y = b.codePointAt(i) as number
    if (x !== y) return x < y ? -1 : 1
    if (x > 0xffff) i++
  }
  return a.length - b.length
}

/** A copy with every object's keys in Go's order (JSON.stringify keeps insertion order for string keys). */
const sorted = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(sorted)
  if (!isRecord(v)) return v
  // No prototype: a `__proto__` key from JSON.parse stays an ordinary key, as it is for Go.
  const out: Record<string, unknown> = Object.create(null)
  for (const k of Object.keys(v).sort(compareUtf8)) out[k] = sorted(v[k])
  return out
}

const GO_HTML_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
}

/** A lone surrogate: JSON.stringify escapes it, Go replaces it with U+FFFD — the forms then differ. */
const LONE_SURROGATE = /\\ud[89a-f][0-9a-f]{2}/i

export interface CanonicalJson {
  readonly text: string
  /** False when Go would encode this value differently (a lone surrogate in a string). */
  readonly exact: boolean
}

/**
 * `value` as Go's `json.Marshal` of the decoded map would write it. These characters only ever occur inside JSON
 * strings, so escaping them in the finished text is the same as escaping them string by string.
 */
export const canonicalJson = (value: unknown): CanonicalJson => {
  const text = JSON.stringify(sorted(value)).replace(/[<>&\u2028\u2029]/g, (c) => GO_HTML_ESCAPES[c] as string)
  return { text, exact: !LONE_SURROGATE.test(text) }
}
