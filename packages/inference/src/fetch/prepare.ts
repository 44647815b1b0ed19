/**
 * Request preparation for the fetch adapter: the request the caller built, resolved into exactly the bytes and
 * headers we send. The usual shape (URL string, string or byte body, headers object or `Headers`) is resolved
 * without awaiting anything and without serializing twice; other bodies are serialized once by the platform.
 */

import { isRecord } from "@0g-compute/core"
import { UrlNotForProvider } from "../errors.js"
import type { ServiceView } from "../service-view.js"
import { canonicalJson } from "./canonical.js"
import { routeKind } from "./media.js"

export interface Prepared {
  readonly method: string
  readonly url: string
  /** The URL's path below the service URL, without the query (e.g. "/v1/proxy/chat/completions"). */
  readonly path: string
  /** Lower-case names; never `authorization` (added per attempt when sending). */
  readonly headers: Record<string, string>
  readonly body: Uint8Array | undefined
  readonly stream: boolean
  readonly model: string
  readonly billed: boolean
  /** The JSON object sent (canonical form), to recompute a documented rewrite; undefined for other bodies. */
  readonly json?: Record<string, unknown> | undefined
  /** False when the body could not be put in the broker's exact canonical form (a lone surrogate). */
  readonly canonical?: boolean
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Bytes of a body sent as is, or undefined for one the platform must serialize (FormData, Blob, streams…). */
const plainBytes = (body: BodyInit): Uint8Array | undefined => {
  if (typeof body === "string") return encoder.encode(body)
  if (body instanceof Uint8Array) return body
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  return undefined
}

/** Lets the platform serialize the body once; keeps the content type it implies. */
const serialize = async (body: BodyInit): Promise<{ bytes: Uint8Array; type: string | null }> => {
  const r = new Response(body)
  return { bytes: new Uint8Array(await r.arrayBuffer()), type: r.headers.get("content-type") }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** What `Headers` would keep as is: no surrounding whitespace, no NUL/CR/LF, Latin-1 only. */
const CLEAN_VALUE = /^(?:[^\0\r\n\t \u0100-\uffff](?:[^\0\r\n\u0100-\uffff]*[^\0\r\n\t \u0100-\uffff])?)?$/

const SKIP = new Set(["authorization", "content-length", "host"])

/**
 * The caller's headers a provider is sent. The broker's CORS allows only Content-Type, Authorization,
 * X-Requested-With, Accept and Origin, so in a browser any other header (the OpenAI client's `x-stainless-*`
 * telemetry…) fails the preflight; none of them matters to a provider. We add Authorization and Accept-Encoding.
 */
const FORWARDED = new Set(["content-type", "accept", "x-requested-with"])

/** A plain object of clean headers read directly; undefined for anything `Headers` would normalize or reject. */
const plainHeaders = (init: HeadersInit | undefined): Record<string, string> | undefined => {
  if (init === undefined) return {}
  if (typeof init !== "object" || Array.isArray(init) || Object.getPrototypeOf(init) !== Object.prototype) return
  const out: Record<string, string> = {}
  for (const name in init) {
    const value = (init as Record<string, unknown>)[name]
    if (typeof value !== "string" || !TOKEN.test(name) || !CLEAN_VALUE.test(value)) return
    const k = name.toLowerCase()
    if (k in out) return // same name twice in different case: let `Headers` combine them
    if (!SKIP.has(k)) out[k] = value
  }
  return out
}

const headerRecord = (input: RequestInfo | URL, init: RequestInit | undefined, isRequest: boolean) => {
  if (!isRequest) {
    const plain = plainHeaders(init?.headers)
    if (plain !== undefined) return plain
  }
  // The OpenAI SDK passes a `Headers`: read it in place rather than copying it into another one first.
  let headers: Headers
  if (!isRequest && init?.headers instanceof Headers) headers = init.headers
  else {
    headers = new Headers(isRequest ? (input as Request).headers : init?.headers)
    if (isRequest && init?.headers !== undefined) {
      new Headers(init.headers).forEach((v, k) => {
        headers.set(k, v)
      })
    }
  }
  const out: Record<string, string> = {}
  headers.forEach((v, k) => {
    if (!SKIP.has(k)) out[k] = v
  })
  return out
}

/**
 * Model and stream flag of a JSON body, which is sent in the broker's canonical form (canonical.ts): sorted keys, Go's
 * escaping, and the deterministic rewrites already applied — `stream_options.include_usage` added to a stream that
 * lacks it (an explicit value, even `false`, is left alone, as the broker does), and for separated providers the
 * service model added when the body names none. The broker's re-encoding then changes nothing.
 */
const inspect = (service: ServiceView, body: Uint8Array | undefined, text: string | undefined) => {
  let stream = false
  let model = service.model
  let bytes = body
  if (body === undefined || body.length === 0 || body[0] !== 0x7b /* { */) {
    return { body: bytes, stream, model, json: undefined, exact: true }
  }
  let json: unknown
  try {
    json = JSON.parse(text ?? decoder.decode(body))
  } catch {
    json = undefined
  }
  let exact = true
  if (isRecord(json)) {
    stream = json.stream === true
    if (stream) {
      const opts = json.stream_options
      if (!isRecord(opts)) json.stream_options = { include_usage: true }
      else if (!("include_usage" in opts)) opts.include_usage = true
    }
    if (service.separated === true && json.model === undefined) json.model = service.model
    if (typeof json.model === "string") model = json.model
    const canonical = canonicalJson(json)
    exact = canonical.exact
    bytes = encoder.encode(canonical.text)
  } else json = undefined
  return { body: bytes, stream, model, json: json as Record<string, unknown> | undefined, exact }
}

/** The `model` of a JSON media request (image generation), else the service's model. */
const mediaModel = (service: ServiceView, body: Uint8Array | undefined, text: string | undefined): string => {
  if (body === undefined || body[0] !== 0x7b /* { */) return service.model
  try {
    const json: unknown = JSON.parse(text ?? decoder.decode(body))
    return isRecord(json) && typeof json.model === "string" ? json.model : service.model
  } catch {
    return service.model
  }
}

const finish = (
  service: ServiceView,
  url: string,
  method: string,
  headers: Record<string, string>,
  raw: Uint8Array | undefined,
  text: string | undefined,
): Prepared => {
  const path = url.slice(service.url.length).split("?")[0] ?? ""
  const billed = method === "POST" && path.startsWith("/v1/proxy/") && !path.startsWith("/v1/proxy/signature/")
  const kind = billed ? (routeKind(path.slice("/v1/proxy".length)) ?? "chatbot") : undefined
  // Chat bodies go in the broker's canonical form; image and audio requests are signed as received: sent as built.
  const { body, stream, model, json, exact } =
    kind === "chatbot"
      ? inspect(service, raw, text)
      : { body: raw, stream: false, model: mediaModel(service, raw, text), json: undefined, exact: true }
  const sent: Record<string, string> = {}
  for (const k in headers) if (FORWARDED.has(k)) sent[k] = headers[k] as string
  sent["accept-encoding"] = "identity"
  return { method, url, path, headers: sent, body, stream, model, billed, json, canonical: exact !== false }
}

/**
 * Resolves the request the caller built into exactly what we will send: synchronously for the usual shape, else a
 * promise (a `Request` body or a body the platform must serialize).
 */
export const prepare = (
  service: ServiceView,
  input: RequestInfo | URL,
  init: RequestInit | undefined,
): Prepared | Promise<Prepared> => {
  const isRequest = typeof Request !== "undefined" && input instanceof Request
  const url = isRequest ? input.url : String(input)
  if (!url.startsWith(`${service.url}/`)) {
    throw new UrlNotForProvider({ provider: service.provider, url, serviceUrl: service.url })
  }
  const method = (init?.method ?? (isRequest ? input.method : "GET")).toUpperCase()
  const headers = headerRecord(input, init, isRequest)
  const body = init?.body ?? undefined
  if (body === undefined || body === null) {
    if (!isRequest || input.body === null) return finish(service, url, method, headers, undefined, undefined)
    return input.arrayBuffer().then((b) => finish(service, url, method, headers, new Uint8Array(b), undefined))
  }
  const bytes = plainBytes(body)
  if (bytes !== undefined) {
    return finish(service, url, method, headers, bytes, typeof body === "string" ? body : undefined)
  }
  return serialize(body).then(({ bytes, type }) => {
    if (type !== null && !("content-type" in headers)) headers["content-type"] = type
    return finish(service, url, method, headers, bytes, undefined)
  })
}

/** Body framing (we deliver identity bytes) and hop-by-hop connection headers: not part of the response we hand back. */
const DROPPED = new Set(["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"])

/**
 * The response headers we hand back, ours added. Pairs, not a `Headers`: the `Response` constructor validates them
 * once instead of twice. The `x-zg-` namespace is ours: a provider's `x-zg-verified` (say, on a stream, whose verdict
 * only its end gives) never reaches the caller as if we had set it.
 */
export const copyHeaders = (from: Headers, extra: Record<string, string>): Array<[string, string]> => {
  const out: Array<[string, string]> = []
  from.forEach((v, k) => {
    if (!DROPPED.has(k) && !k.startsWith("x-zg-") && !(k in extra)) out.push([k, v])
  })
  for (const k in extra) out.push([k, extra[k] as string])
  return out
}
