/**
 * The 2026 broker's behaviours (docs/broker-2026.md), switched on per emulated provider with `broker`:
 *
 * - provider types: "decentralized" (its broker TEE signs `sha256(req):sha256(res)`), "centralized" (registered
 *   separated with an empty TargetTeeAddress; the broker TEE signs the routing proof
 *   `req:res:centralized:<identity>:<tls fingerprint>`), "standard" (verifiability "standard", never signs);
 * - request rewriting as PrepareHTTPRequest does it: EnsureStreamOptions (include_usage added unless the key is
 *   present, even `false`), EnforceConfiguredModel (separated providers, or an `upstreamModel` mapping), each
 *   re-encoded by Go's json.Marshal (sorted keys, `<>&` escaped); the signature covers the rewritten bytes;
 * - the response as the client gets it is what is signed: SSE comment lines dropped, leak fields stripped, the id
 *   rewritten to `chatcmpl-<chatKey>` (re-encoded without HTML escaping), leak headers dropped;
 * - `Accept-Encoding: identity` upstream, 400 for session failures and unknown chat ids, lenient token JSON.
 */
import { createHash } from "node:crypto"
import type { OutgoingHttpHeaders } from "node:http"
import { isRecord, parseJsonRecord } from "@0g-compute/core"
import { HttpFailure } from "@0g-compute/core/node"
import type { SourceResponse } from "./model.js"

export type EmulatedProviderType = "decentralized" | "centralized" | "standard"

export interface BrokerMode {
  /** Default "decentralized". */
  readonly providerType?: EmulatedProviderType
  /** Centralized: the upstream it forwards to (routing proof, additionalInfo `ProviderIdentity`); default "openai". */
  readonly providerIdentity?: string
  /** Centralized: the upstream TLS certificate fingerprint the routing proof binds; default a fixed devnet value. */
  readonly tlsCertFingerprint?: string
  /** EnforceConfiguredModel forwards `model` as this upstream id (the request is re-encoded and signed so). */
  readonly upstreamModel?: string
  /** Leave out the `ZG-Res-Key` header (as a browser sees it when a proxy drops it): clients go by the body id. */
  readonly omitResKey?: boolean
  /** The offline upstream behaves like an aggregator: leak headers and fields, SSE comments, a trailing `usage:{}`. */
  readonly noisyUpstream?: boolean
  /** The service type served and registered (media.ts); default "chatbot". */
  readonly serviceType?: "chatbot" | "text-to-image" | "image-editing" | "speech-to-text"
}

export const DEVNET_TLS_FINGERPRINT = createHash("sha256")
  .update("0g devnet emulated upstream certificate")
  .digest("hex")

export const providerTypeOf = (mode: BrokerMode): EmulatedProviderType => mode.providerType ?? "decentralized"

/** Registration: verifiability and additionalInfo as the 2026 broker writes them (buildAdditionalInfo). */
export const registration = (mode: BrokerMode): { verifiability: string; additionalInfo: string } => {
  const type = providerTypeOf(mode)
  const info: Record<string, unknown> = {
    VerifierURL: "",
    TEEVerifier: "dstack",
    TargetSeparated: type !== "decentralized",
    TargetTeeAddress: "",
    ImageName: "",
    ImageDigest: "",
  }
  if (type !== "decentralized") info.ProviderType = type
  if (type === "centralized") info.ProviderIdentity = mode.providerIdentity ?? "openai"
  return { verifiability: type === "standard" ? "standard" : "TeeML", additionalInfo: goMarshal(info, true) }
}

// ---- Go's encoding/json, written from its documented behaviour ----

const goString = (s: string, escapeHTML: boolean): string => {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1)
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += s[i] + (s[i + 1] as string)
        i++
      } else out += "\\ufffd" // invalid UTF-8 becomes U+FFFD
      continue
    }
    const ch = s[i] as string
    if (ch === '"' || ch === "\\") out += `\\${ch}`
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (ch === "\b") out += "\\b"
    else if (ch === "\f") out += "\\f"
    else if (c < 0x20 || c === 0x2028 || c === 0x2029 || (escapeHTML && (ch === "<" || ch === ">" || ch === "&")))
      out += `\\u${c.toString(16).padStart(4, "0")}`
    else out += ch
  }
  return `${out}"`
}

/** `json.Marshal` of a decoded `interface{}` (maps sorted bytewise; float64 numbers). */
export const goMarshal = (v: unknown, escapeHTML: boolean): string => {
  if (v === null || v === undefined) return "null"
  if (typeof v === "boolean") return v ? "true" : "false"
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : JSON.stringify(v)
  if (typeof v === "string") return goString(v, escapeHTML)
  if (Array.isArray(v)) return `[${v.map((x) => goMarshal(x, escapeHTML)).join(",")}]`
  const o = v as Record<string, unknown>
  const keys = Object.keys(o).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  return `{${keys.map((k) => `${goString(k, escapeHTML)}:${goMarshal(o[k], escapeHTML)}`).join(",")}}`
}

const encoder = new TextEncoder()

// ---- PrepareHTTPRequest ----

export interface Rewritten {
  /** The bytes forwarded upstream, and signed. */
  readonly forwarded: Uint8Array
  /** The request as the upstream sees it. */
  readonly json: Record<string, unknown>
}

/** EnsureStreamOptions, then EnforceConfiguredModel; each re-marshals only when it applies. */
export const rewriteRequest = (
  mode: BrokerMode,
  configuredModel: string,
  raw: Uint8Array,
  parsed: Record<string, unknown>,
): Rewritten => {
  let forwarded = raw
  let json: Record<string, unknown> = JSON.parse(Buffer.from(raw).toString("utf8"))
  if (json.stream === true) {
    const opts = json.stream_options
    if (!(isRecord(opts) && "include_usage" in opts)) {
      json.stream_options = isRecord(opts) ? { ...opts, include_usage: true } : { include_usage: true }
      forwarded = encoder.encode(goMarshal(json, true))
    }
  }
  if (providerTypeOf(mode) !== "decentralized" || mode.upstreamModel !== undefined) {
    const upstream = mode.upstreamModel ?? configuredModel
    const requested = parsed.model
    if (requested !== undefined && requested !== configuredModel) {
      throw new HttpFailure(
        400,
        `enforce configured model: model not supported: requested ${JSON.stringify(requested)}, accepted: ["${configuredModel}"]`,
      )
    }
    json = { ...json, model: upstream }
    forwarded = encoder.encode(goMarshal(json, true))
  }
  return { forwarded, json }
}

// ---- the client-facing response ----

const LEAK_KEYS = new Set(["provider", "is_byok", "cost", "cost_details", "native_finish_reason", "reasoning_details"])
const LEAK_IF_ZERO = new Set(["audio_tokens", "video_tokens", "image_tokens", "cache_write_tokens"])
const OPAQUE = new Set(["content", "arguments"])

const stripLeaks = (v: unknown): void => {
  if (Array.isArray(v)) for (const x of v) stripLeaks(x)
  else if (isRecord(v)) {
    for (const k of Object.keys(v)) {
      if (LEAK_KEYS.has(k) || (LEAK_IF_ZERO.has(k) && v[k] === 0)) delete v[k]
      else if (!OPAQUE.has(k)) stripLeaks(v[k])
    }
  }
}

/** sanitizeResponseBody: leak fields out, id rewritten; re-encoded without HTML escaping when anything changed. */
export const sanitizeJson = (text: string, newId: string): string => {
  const obj = parseJsonRecord(text)
  if (obj === undefined) return text
  const before = JSON.stringify(obj)
  stripLeaks(obj)
  if ("id" in obj) obj.id = newId
  return JSON.stringify(obj) === before && !("id" in obj) ? text : goMarshal(obj, false)
}

/** sanitizeStreamLine for one line (with its `\n`): comments dropped, `data: {…}` sanitized, others as they are. */
const sanitizeLine = (line: string, newId: string): string | undefined => {
  const lead = line.trim()
  if (lead === "") return line
  if (lead.startsWith(":")) return undefined
  if (lead.startsWith("data:")) {
    const payload = lead.slice("data:".length).trim()
    if (payload.startsWith("{")) {
      const out = sanitizeJson(payload, newId)
      if (out !== payload) return `data: ${out}\n`
    }
  }
  return line
}

const LEAK_HEADER_PREFIXES = [
  "x-openrouter",
  "openrouter",
  "x-or-",
  "x-ratelimit",
  "x-clerk",
  "openai-",
  "anthropic-",
  "cf-",
]

/** isUpstreamLeakHeader. */
export const isLeakHeader = (name: string): boolean => {
  const k = name.toLowerCase()
  if (["provider", "server", "via", "x-powered-by", "location"].includes(k)) return true
  return LEAK_HEADER_PREFIXES.some((p) => k.startsWith(p))
}

const dropLeakHeaders = (headers: OutgoingHttpHeaders): OutgoingHttpHeaders => {
  const out: OutgoingHttpHeaders = {}
  for (const [k, v] of Object.entries(headers)) if (!isLeakHeader(k)) out[k] = v
  return out
}

/** The upstream response as the broker hands it to the client (and signs it). Errors pass through. */
export const clientFacing = (src: SourceResponse, chatKey: string, stream: boolean): SourceResponse => {
  if (src.status !== 200) return src
  const newId = `chatcmpl-${chatKey}`
  const decoder = new TextDecoder()
  const body = stream
    ? (async function* () {
        let pending = ""
        for await (const chunk of src.body) {
          pending += decoder.decode(chunk, { stream: true })
          let out = ""
          for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
            out += sanitizeLine(pending.slice(0, nl + 1), newId) ?? ""
            pending = pending.slice(nl + 1)
          }
          if (out !== "") yield encoder.encode(out)
        }
        const rest = pending + decoder.decode()
        if (rest !== "") yield encoder.encode(sanitizeLine(rest, newId) ?? "")
      })()
    : (async function* () {
        const parts: Uint8Array[] = []
        for await (const chunk of src.body) parts.push(chunk)
        yield encoder.encode(sanitizeJson(Buffer.concat(parts).toString("utf8"), newId))
      })()
  return { ...src, headers: dropLeakHeaders(src.headers), body }
}

/**
 * The upstream's bytes as they pass (chatbot.go bills `rawBody`, the bytes before sanitization, while it signs the
 * client-facing copy): `bytes()` once the body has been read.
 */
export const captureRaw = (
  src: SourceResponse,
): { readonly source: SourceResponse; readonly bytes: () => Uint8Array } => {
  const parts: Uint8Array[] = []
  const body = (async function* () {
    for await (const chunk of src.body) {
      parts.push(chunk)
      yield chunk
    }
  })()
  return { source: { ...src, body }, bytes: () => Buffer.concat(parts) }
}

/** An aggregator-like upstream: leak headers and fields, a keep-alive comment, a trailing all-zero `usage`. */
export const noisy = (src: SourceResponse, stream: boolean): SourceResponse => {
  if (src.status !== 200) return src
  const headers: OutgoingHttpHeaders = {
    ...src.headers,
    server: "upstream-vendor",
    "x-openrouter-id": "gen-123",
    "openai-organization": "org-hidden",
    "cf-ray": "8f00",
  }
  const body = (async function* () {
    if (stream) yield encoder.encode(": OPENROUTER PROCESSING\n\n")
    for await (const chunk of src.body) {
      const text = Buffer.from(chunk).toString("utf8")
      if (!stream) {
        const json = JSON.parse(text) as Record<string, unknown>
        yield encoder.encode(JSON.stringify({ ...json, provider: "HiddenUpstream", cost: 0.0001 }))
      } else if (text.startsWith("data: [DONE]")) {
        yield encoder.encode(
          `data: ${JSON.stringify({ id: "gen-123", object: "chat.completion.chunk", choices: [], usage: {} })}\n\n`,
        )
        yield chunk
      } else yield chunk
    }
  })()
  return { ...src, headers, body }
}

/** The text the broker's TEE signs, or undefined when this provider type never signs. */
export const signedText = (mode: BrokerMode, requestHash: string, responseHash: string): string | undefined => {
  const type = providerTypeOf(mode)
  if (type === "standard") return undefined
  if (type === "decentralized") return `${requestHash}:${responseHash}`
  const identity = mode.providerIdentity ?? "openai"
  return `${requestHash}:${responseHash}:centralized:${identity}:${mode.tlsCertFingerprint ?? DEVNET_TLS_FINGERPRINT}`
}

/** The ChatSignature fields a centralized routing proof adds outside the signed text. */
export const routingFields = (mode: BrokerMode): Record<string, string> =>
  providerTypeOf(mode) === "centralized"
    ? {
        provider_type: "centralized",
        provider_identity: mode.providerIdentity ?? "openai",
        tls_cert_fingerprint: mode.tlsCertFingerprint ?? DEVNET_TLS_FINGERPRINT,
      }
    : {}

/** The broker sets ZG-Res-Key when its own TEE signs: not separated, or centralized. */
export const sendsResKey = (mode: BrokerMode): boolean =>
  mode.omitResKey !== true && providerTypeOf(mode) !== "standard"
