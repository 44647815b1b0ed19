/**
 * Service types of the 2026 broker beyond chat (docs/broker-2026.md "Service types"): which route each serves, the
 * image hashes a decentralized broker signs, and how the broker bills images and transcriptions.
 *
 * - text-to-image `POST /v1/proxy/images/generations` (JSON), image-editing `POST /v1/proxy/images/edits`
 *   (multipart): signed `sha256(request as sent):sha256(img0),sha256(img1)…` over the base64-DECODED images
 *   (signImageResponse); no input fee; a generation is billed output price × images delivered, an edit output price ×
 *   the images requested (`n`, default 1), whatever the provider delivers (image_editing.go).
 * - speech-to-text `POST /v1/proxy/audio/transcriptions` (multipart): signed `sha256(request):sha256(body)`;
 *   billed from `usage`: `{type:"duration", seconds}` → round(seconds) (≥ 1) × input price; `{type:"tokens"}` →
 *   input × input price + output × output price; else verbose_json's `duration`; else 2 × words × output price.
 */

import { goInt, goKey, goMembers, isRecord } from "@0g-compute/core"
import { ServiceTypeMismatch, UnsupportedRequest } from "../errors.js"
import type { ServiceView } from "../service-view.js"
import { sha256Hex } from "../verify/digests.js"
import { wordCount } from "../verify/sse.js"

export type ServiceKind = "chatbot" | "text-to-image" | "image-editing" | "speech-to-text"

const ROUTES: Readonly<Record<string, ServiceKind>> = {
  "/chat/completions": "chatbot",
  "/images/generations": "text-to-image",
  "/images/edits": "image-editing",
  "/audio/transcriptions": "speech-to-text",
}

const KINDS = new Set<string>(Object.values(ROUTES))

/** The service type a `/v1/proxy/…` path belongs to, as the broker reads it (a doubled `/v1` collapsed). */
export const routeKind = (proxyPath: string): ServiceKind | undefined => {
  const rest = proxyPath.startsWith("/v1/") ? proxyPath.slice(3) : proxyPath
  return ROUTES[rest.replace(/\/+$/, "")]
}

/**
 * The kind of a billed call, or the refusal: a known route on a provider of another known service type is refused
 * before anything is sent (the broker would bill it by its own type's rules).
 */
export const serviceKind = (service: ServiceView, path: string): ServiceKind => {
  const proxyPath = path.slice("/v1/proxy".length)
  const route = routeKind(proxyPath)
  const registered = KINDS.has(service.serviceType) ? (service.serviceType as ServiceKind) : undefined
  if (route !== undefined && registered !== undefined && route !== registered) {
    throw new ServiceTypeMismatch({
      provider: service.provider,
      serviceType: service.serviceType,
      route: path,
      routeServiceType: route,
    })
  }
  return registered ?? route ?? "chatbot"
}

/**
 * The form of a multipart/form-data body, parsed by the platform from the exact bytes we send (undefined for any other
 * body); a body that does not parse is refused before it is sent.
 */
const sentForm = async (body: Uint8Array, contentType: string | undefined): Promise<FormData | undefined> => {
  if (contentType === undefined || !/^\s*multipart\/form-data\s*(?:;|$)/i.test(contentType)) return undefined
  try {
    const bytes = new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength)
    return await new Response(bytes, { headers: { "content-type": contentType } }).formData()
  } catch {
    throw new UnsupportedRequest({ reason: "the multipart/form-data body is malformed" })
  }
}

/** What the broker bills a media request by, read from the request before it is sent. */
export interface MediaRequest {
  /** The images an edit is billed for: its `n` (default 1), whatever the provider delivers (image_editing.go). */
  readonly requestedImages: number
}

/** The broker's reading of `n`: a positive whole number, else the default of 1. */
const imageCount = (v: unknown): number => {
  const n = typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : 1
}

/**
 * Image requests must ask for base64 images: with `response_format: "url"` the broker serves URLs of images it keeps,
 * and the body we receive holds none of the signed bytes. Transcriptions must not stream (not verified yet). A form
 * that names `n` twice is refused as the broker refuses it (form parsers disagree on which value wins, and `n`
 * multiplies the fee). All refused before anything is sent; a chat request is not looked at.
 */
export const refuseUnverifiableMedia = async (
  kind: ServiceKind,
  body: Uint8Array,
  contentType: string | undefined,
): Promise<MediaRequest> => {
  if (kind === "chatbot") return { requestedImages: 1 }
  const form = await sentForm(body, contentType)
  const text = (name: string) => {
    const v = form?.get(name)
    return typeof v === "string" ? v : undefined
  }
  const json = form === undefined && body[0] === 0x7b /* { */ ? jsonObject(body) : undefined
  if (kind === "text-to-image" || kind === "image-editing") {
    const format = form !== undefined ? text("response_format") : json?.response_format
    if (format === "url") {
      throw new UnsupportedRequest({
        reason: 'response_format "url" cannot be verified (the signature covers the image bytes): use "b64_json"',
      })
    }
  }
  if (kind === "speech-to-text" && text("stream") === "true") {
    throw new UnsupportedRequest({ reason: "streamed transcriptions are not verified yet: send stream=false" })
  }
  if (form !== undefined && form.getAll("n").length > 1)
    throw new UnsupportedRequest({ reason: "the form names n more than once: send it once" })
  return { requestedImages: imageCount(form !== undefined ? text("n") : json?.n) }
}

const jsonObject = (body: Uint8Array): Record<string, unknown> | undefined => {
  try {
    const json: unknown = JSON.parse(new TextDecoder().decode(body))
    return isRecord(json) ? json : undefined
  } catch {
    return undefined
  }
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const decodeB64 = (s: string): Uint8Array | undefined => {
  if (!B64.test(s)) return undefined
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/**
 * sha256 of each base64 image of an OpenAI image response, in order — undefined when any entry is not strictly valid
 * base64 (the broker then signs the whole body), or there are none.
 */
export const imageHashes = (json: unknown): ReadonlyArray<string> | undefined => {
  if (!isRecord(json) || !Array.isArray(json.data) || json.data.length === 0) return undefined
  const out: string[] = []
  for (const d of json.data) {
    const b64 = isRecord(d) ? d.b64_json : undefined
    const bytes = typeof b64 === "string" ? decodeB64(b64) : undefined
    if (bytes === undefined) return undefined
    out.push(sha256Hex(bytes))
  }
  return out
}

export interface MediaBill {
  readonly promptTokens: number
  readonly completionTokens: number
  readonly images?: number
  readonly audioSeconds?: number
  readonly inputFee: bigint
  readonly outputFee: bigint
  readonly fee: bigint
}

const num = (u: unknown): number => (typeof u === "number" && Number.isFinite(u) && u > 0 ? u : 0)

/** The broker's cap on one transcription's billable audio (maxBillableSeconds, speech_to_text.go): 99 hours. */
export const MAX_BILLABLE_SECONDS = 99 * 3600

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * A duration as the broker's `flexFloat64` reads it: a JSON number, or a string holding one ("206.3"); null and ""
 * are 0. Undefined for a string Go refuses (its whole decode then fails and the broker estimates from words).
 */
const flexSeconds = (u: unknown): number | undefined => {
  if (typeof u === "string") {
    const t = u.trim()
    if (t === "") return 0
    const v = DECIMAL.test(t) ? Number(t) : Number.NaN
    return Number.isFinite(v) ? Math.max(0, v) : undefined
  }
  if (u === null || u === undefined) return 0
  return typeof u === "number" ? num(u) : undefined
}

/** billableSeconds: capped at 99 hours, rounded, at least 1. */
const billableSeconds = (seconds: number) => Math.max(1, Math.round(Math.min(seconds, MAX_BILLABLE_SECONDS)))

const bill = (service: ServiceView, prompt: bigint, completion: bigint) => {
  const inputFee = prompt * service.inputPrice.perToken
  const outputFee = completion * service.outputPrice.perToken
  return { inputFee, outputFee, fee: inputFee + outputFee }
}

/** What the broker bills for a media response (module comment), from the body we received and the request. */
export const mediaBill = (
  service: ServiceView,
  kind: ServiceKind,
  json: unknown,
  text: string,
  request: MediaRequest = { requestedImages: 1 },
): MediaBill => {
  if (kind === "text-to-image" || kind === "image-editing") {
    const delivered = isRecord(json) && Array.isArray(json.data) ? json.data.length : 0
    const images = kind === "image-editing" ? request.requestedImages : delivered
    return { promptTokens: 0, completionTokens: 0, images, ...bill(service, 0n, BigInt(images)) }
  }
  const go = transcriptionAsGo(text)
  // A body Go cannot decode (a count it refuses, a seconds string it cannot parse): the broker bills the estimate.
  if (go === "refused") return wordEstimate(service, text)
  const usage = go?.usage
  const type = usage?.type
  const seconds = flexSeconds(usage?.seconds)
  const verboseFlex = flexSeconds(go?.duration)
  if (seconds === undefined || verboseFlex === undefined) return wordEstimate(service, text)
  const input = Number(usage?.input_tokens ?? 0n)
  const output = Number(usage?.output_tokens ?? 0n)
  const duration = type === "duration" || (type !== "tokens" && seconds > 0)
  const billable =
    type === "duration" ? seconds > 0 : type === "tokens" ? input + output > 0 : seconds + input + output > 0
  if (billable && duration) {
    const s = billableSeconds(seconds)
    return { promptTokens: 0, completionTokens: 0, audioSeconds: s, ...bill(service, BigInt(s), 0n) }
  }
  if (billable) {
    const [p, c] = [Math.floor(input), Math.floor(output)]
    return { promptTokens: p, completionTokens: c, ...bill(service, BigInt(p), BigInt(c)) }
  }
  if (verboseFlex > 0) {
    const s = billableSeconds(verboseFlex)
    return { promptTokens: 0, completionTokens: 0, audioSeconds: s, ...bill(service, BigInt(s), 0n) }
  }
  return wordEstimate(service, text)
}

interface TranscriptionUsage {
  type?: unknown
  seconds?: unknown
  input_tokens?: bigint
  output_tokens?: bigint
}

const DURATION = goKey("duration")
const USAGE = goKey("usage")
const USAGE_FIELDS = new Map(
  ["type", "seconds", "input_tokens", "output_tokens", "total_tokens"].map((f) => [goKey(f), f] as const),
)

/**
 * speech_to_text.go's `SpeechToTextResponse` as Go decodes the body: keys in any case, a later member winning, a
 * repeated `usage` object merged into the first (`null` resets it), token counts Go ints. "refused" where Go's
 * decode fails; undefined for a body that is not a JSON object.
 */
const transcriptionAsGo = (
  text: string,
): { duration: unknown; usage: TranscriptionUsage | undefined } | "refused" | undefined => {
  const top = goMembers(text)
  if (top === undefined) return undefined
  let duration: unknown
  let usage: TranscriptionUsage | undefined
  for (const m of top) {
    if (m.key === DURATION) duration = JSON.parse(m.value)
    if (m.key !== USAGE) continue
    if (m.value === "null") {
      usage = undefined
      continue
    }
    const fields = goMembers(m.value)
    if (fields === undefined) return "refused"
    usage ??= {}
    for (const f of fields) {
      const name = USAGE_FIELDS.get(f.key)
      if (name === "input_tokens" || name === "output_tokens" || name === "total_tokens") {
        const n = goInt(f.value)
        if (n === "refused") return "refused"
        if (n !== undefined && name !== "total_tokens") usage[name] = n > 0n ? n : 0n
      } else if (name === "type") {
        const v: unknown = JSON.parse(f.value)
        if (v !== null && typeof v !== "string") return "refused"
        if (v !== null) usage.type = v
      } else if (name === "seconds") usage.seconds = JSON.parse(f.value)
    }
  }
  return { duration, usage }
}

/** updateSpeechToTextFallback: 2 × the words of the body (100 when there are none) at the output price. */
const wordEstimate = (service: ServiceView, text: string): MediaBill => {
  const words = wordCount(text)
  const estimate = words > 0 ? words * 2 : 100
  return { promptTokens: 0, completionTokens: estimate, ...bill(service, 0n, BigInt(estimate)) }
}
