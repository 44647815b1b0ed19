/**
 * The `usage` of a chat completion (or one stream chunk) as the 0G broker reads it: Go's `encoding/json` decoding the
 * text into its `CompletionChunk` struct (chatbot.go). The broker bills from that reading, so a client must read the
 * same bytes the same way, and `JSON.parse` does not:
 *
 * - Go matches keys case-insensitively (`"Usage"`, `"COMPLETION_TOKENS"` fill the same fields), preferring none;
 * - a key given twice is decoded twice, and a second object for the `*Usage` pointer is merged into the first (where
 *   `JSON.parse` keeps only the last object whole); `null` resets the pointer;
 * - counts are Go `int`s: integer literals below 2^63 (exact here, as bigint); any other number fails the decode.
 *
 * A decode Go would refuse because of a bad usage field is `undefined` (the broker then neither bills nor signs it).
 * Where the text repeats a usage key the reading is marked `ambiguous` (see there).
 */
import { isRecord } from "./json.js"

/** The counts the broker bills a chat by; all zero when a field is absent. */
export interface BrokerUsage {
  readonly promptTokens: bigint
  readonly completionTokens: bigint
  readonly totalTokens: bigint
  /** `prompt_tokens_details.cached_tokens` (0 without details). */
  readonly cachedTokens: bigint
  readonly cacheWriteTokens: bigint
  readonly cacheWrite1hTokens: bigint
  /**
   * The text names its usage (or one of its counts) more than once, in any spelling. The broker bills its reading of
   * the upstream's raw bytes but signs its re-encoding of them (keys sorted, repeats collapsed), so the usage billed
   * may not be the one these bytes show: the fee cannot be known from them.
   */
  readonly ambiguous: boolean
}

/** Go 1.21+ `foldName`: ASCII upper-cased, any other character ToUpper(ToLower(r)) (simple mappings: one character). */
const fold = (key: string): string => {
  let out = ""
  for (const ch of key) {
    if ((ch.codePointAt(0) as number) < 0x80) {
      out += ch.toUpperCase()
      continue
    }
    const lower = [...ch.toLowerCase()][0] ?? ch
    const upper = lower.toUpperCase()
    out += [...upper].length === 1 ? upper : lower
  }
  return out
}

const WS = new Set([" ", "\t", "\n", "\r"])
const skipWs = (s: string, i: number): number => {
  while (i < s.length && WS.has(s[i] as string)) i++
  return i
}

/** End (exclusive) of the string token starting at `i` (a `"`): the next quote not escaped by an odd run of `\`. */
const stringEnd = (s: string, i: number): number => {
  for (let q = s.indexOf('"', i + 1); q >= 0; q = s.indexOf('"', q + 1)) {
    let backslashes = 0
    while (s[q - 1 - backslashes] === "\\") backslashes++
    if (backslashes % 2 === 0) return q + 1
  }
  return s.length
}

const STRUCTURE = /["{}[\]]/g

/** End (exclusive) of the value starting at `i`, iteratively (no recursion however deep the nesting). */
const valueEnd = (s: string, i: number): number => {
  const c = s[i]
  if (c === '"') return stringEnd(s, i)
  if (c !== "{" && c !== "[") {
    let j = i
    while (j < s.length && !WS.has(s[j] as string) && s[j] !== "," && s[j] !== "}" && s[j] !== "]") j++
    return j
  }
  let depth = 0
  STRUCTURE.lastIndex = i
  for (let m = STRUCTURE.exec(s); m !== null; m = STRUCTURE.exec(s)) {
    const d = m[0]
    if (d === '"') STRUCTURE.lastIndex = stringEnd(s, m.index)
    else if (d === "{" || d === "[") depth++
    else if (--depth === 0) return m.index + 1
  }
  return s.length
}

/** The members of the object at `i` (already known to be valid JSON), in order, duplicates kept. */
const members = (s: string, i: number): Array<{ readonly key: string; readonly value: string }> => {
  const out: Array<{ key: string; value: string }> = []
  let j = skipWs(s, i + 1)
  if (s[j] === "}") return out
  for (;;) {
    const keyEnd = stringEnd(s, j)
    const key = JSON.parse(s.slice(j, keyEnd)) as string
    const at = skipWs(s, skipWs(s, keyEnd) + 1) // past the colon
    const end = valueEnd(s, at)
    out.push({ key: fold(key), value: s.slice(at, end) })
    j = skipWs(s, end)
    if (s[j] !== ",") return out
    j = skipWs(s, j + 1)
  }
}

const INT = /^-?(?:0|[1-9]\d*)$/
const INT64_MAX = 2n ** 63n - 1n
const INT64_MIN = -(2n ** 63n)

/** A Go `int` from a member's JSON text: an integer literal below 2^63 (null: undefined); else the decode fails. */
export const goInt = (value: string): bigint | undefined | "refused" => {
  if (value === "null") return undefined
  if (!INT.test(value)) return "refused"
  const n = BigInt(value)
  return n > INT64_MAX || n < INT64_MIN ? "refused" : n
}

type Fields = Record<string, bigint>

/**
 * Decodes an object value into `into` as Go decodes into a struct of int fields; false on a type Go refuses. Each
 * field named is added to `seen`, and a field named twice marks `seen.repeated`.
 */
const decodeInts = (
  value: string,
  into: Fields,
  names: ReadonlyMap<string, string>,
  seen: Seen,
  nested?: NestedField,
): boolean => {
  for (const m of members(value, 0)) {
    const known = names.has(m.key) || m.key === nested?.folded
    if (known && seen.names.has(m.key)) seen.repeated = true
    if (known) seen.names.add(m.key)
    if (nested !== undefined && m.key === nested.folded) {
      if (m.value === "null") nested.reset()
      else if (m.value.startsWith("{")) {
        if (!decodeInts(m.value, nested.target(), nested.names, nested.seen)) return false
      } else return false
      continue
    }
    const field = names.get(m.key)
    if (field === undefined) continue
    const n = goInt(m.value)
    if (n === "refused") return false
    if (n !== undefined) into[field] = n
  }
  return true
}

interface Seen {
  readonly names: Set<string>
  repeated: boolean
}

interface NestedField {
  readonly folded: string
  readonly names: ReadonlyMap<string, string>
  readonly seen: Seen
  readonly target: () => Fields
  readonly reset: () => void
}

const namesOf = (...fields: string[]) => new Map(fields.map((f) => [fold(f), f]))
const USAGE = fold("usage")

/** The struct each format decodes `usage` into, and the one nested struct it holds. */
interface UsageShape {
  readonly fields: ReadonlyMap<string, string>
  readonly nested: string
  readonly nestedFields: ReadonlyMap<string, string>
}

/** chatbot.go `Usage` (OpenAI). */
const OPENAI: UsageShape = {
  fields: namesOf("prompt_tokens", "completion_tokens", "total_tokens", "cache_write_tokens", "cache_write_1h_tokens"),
  nested: fold("prompt_tokens_details"),
  nestedFields: namesOf("cached_tokens"),
}

/** chatbot_litellm.go `LiteLLMUsage` (Anthropic's message shape). */
const ANTHROPIC: UsageShape = {
  fields: namesOf(
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
  ),
  nested: fold("cache_creation"),
  nestedFields: namesOf("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"),
}

/** No key of `text` can fold to "usage": it names none, not even through `\\u` escapes or `ſ`. */
const USAGE_KEY = /u[sſ]age/i
const noUsage = (text: string) => !USAGE_KEY.test(text) && !text.includes("\\u")

interface Decoded {
  readonly usage: Fields
  readonly nested: Fields | undefined
  readonly ambiguous: boolean
}

/** The top-level `usage` of `text` (valid JSON, an object) decoded into `shape` as Go decodes it. */
const decodeUsage = (text: string, shape: UsageShape): Decoded | undefined => {
  let usage: Fields | undefined
  let nested: Fields | undefined
  let usages = 0
  const seen: Seen = { names: new Set(), repeated: false }
  const nestedSeen: Seen = { names: new Set(), repeated: false }
  for (const m of members(text, skipWs(text, 0))) {
    if (m.key !== USAGE) continue
    usages++
    if (m.value === "null") {
      usage = undefined
      nested = undefined
      continue
    }
    if (!m.value.startsWith("{")) return undefined
    const into: Fields = usage ?? {}
    usage = into
    const ok = decodeInts(m.value, into, shape.fields, seen, {
      folded: shape.nested,
      names: shape.nestedFields,
      seen: nestedSeen,
      target: () => {
        nested ??= {}
        return nested
      },
      reset: () => {
        nested = undefined
      },
    })
    if (!ok) return undefined
  }
  if (usage === undefined) return undefined
  return { usage, nested, ambiguous: usages > 1 || seen.repeated || nestedSeen.repeated }
}

const nonNegative = (v: bigint | undefined) => (v === undefined || v < 0n ? 0n : v)

/** LiteLLMUsage.toUsage: input, cache-write and cache-read buckets are disjoint; their sum is the prompt. */
const fromAnthropic = ({ usage: u, nested: creation, ambiguous }: Decoded): BrokerUsage => {
  const read = u.cache_read_input_tokens ?? 0n
  const prompt = (u.input_tokens ?? 0n) + (u.cache_creation_input_tokens ?? 0n) + read
  const output = u.output_tokens ?? 0n
  const m5 = creation?.ephemeral_5m_input_tokens ?? 0n
  const h1 = creation?.ephemeral_1h_input_tokens ?? 0n
  const split = creation !== undefined && (m5 > 0n || h1 > 0n)
  return {
    promptTokens: nonNegative(prompt),
    completionTokens: nonNegative(output),
    totalTokens: nonNegative(prompt + output),
    cachedTokens: nonNegative(read),
    cacheWriteTokens: nonNegative(split ? m5 : u.cache_creation_input_tokens),
    cacheWrite1hTokens: nonNegative(split ? h1 : 0n),
    ambiguous,
  }
}

/**
 * The usage the broker bills from `text` (a JSON object): undefined when it holds none (or `null`), or when Go would
 * refuse its usage fields. Not JSON, or not an object: undefined. Negative counts read as 0. `parsed`: the value of
 * `JSON.parse(text)` when the caller has it (saves parsing twice). `format`: "anthropic" reads Anthropic's message
 * usage (input/output/cache buckets) as the broker does for a LiteLLM-shaped answer (`brokerResponseFormat`).
 */
export const brokerUsage = (
  text: string,
  parsed?: unknown,
  format: "openai" | "anthropic" = "openai",
): BrokerUsage | undefined => {
  if (noUsage(text)) return undefined
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(text)
    } catch {
      return undefined
    }
  }
  if (!isRecord(parsed)) return undefined
  const d = decodeUsage(text, format === "openai" ? OPENAI : ANTHROPIC)
  if (d === undefined) return undefined
  if (format === "anthropic") return fromAnthropic(d)
  const { usage, nested: details, ambiguous } = d
  return {
    promptTokens: nonNegative(usage.prompt_tokens),
    completionTokens: nonNegative(usage.completion_tokens),
    totalTokens: nonNegative(usage.total_tokens),
    cachedTokens: nonNegative(details?.cached_tokens),
    cacheWriteTokens: nonNegative(usage.cache_write_tokens),
    cacheWrite1hTokens: nonNegative(usage.cache_write_1h_tokens),
    ambiguous,
  }
}

/**
 * chatbot.go detectResponseFormat for a non-stream body: "anthropic" (LiteLLM) when the JSON object has both `type`
 * and `content` keys (exact spelling: it decodes into a map), else "openai".
 */
export const brokerResponseFormat = (parsed: unknown): "openai" | "anthropic" =>
  isRecord(parsed) && Object.hasOwn(parsed, "type") && Object.hasOwn(parsed, "content") ? "anthropic" : "openai"

/** A JSON object's members as Go's decoder meets them: in order, repeats kept, each key folded (`goKey`). */
export interface GoMember {
  readonly key: string
  /** The member's JSON text. */
  readonly value: string
}

/** A struct field name as Go's decoder matches keys to it (case-insensitively, `foldName`). */
export const goKey = fold

/**
 * The members of `text` when it is a JSON object (else undefined), for reading it as Go decodes it into a struct:
 * the caller matches `goKey(field)`, lets a later member win and merges repeated objects.
 */
export const goMembers = (text: string): ReadonlyArray<GoMember> | undefined => {
  try {
    if (!isRecord(JSON.parse(text))) return undefined
  } catch {
    return undefined
  }
  return members(text, skipWs(text, 0))
}
