/**
 * Image and audio services of the 2026 broker (docs/broker-2026.md "Service types"), served deterministically:
 *
 * - "text-to-image" `POST /v1/proxy/images/generations` (JSON) and "image-editing" `POST /v1/proxy/images/edits`
 *   (multipart): tiny PNGs generated here; the broker TEE signs `sha256(request as sent):sha256(png0),sha256(png1)…`
 *   over the DECODED image bytes (signImageResponse); a centralized provider signs its routing proof over the whole
 *   body; input fee 0; a generation is billed `outputPrice × images delivered`, an edit `outputPrice × n requested`
 *   (the model renders at most 10, silently).
 * - "speech-to-text" `POST /v1/proxy/audio/transcriptions` (multipart): a fixed transcription with a whisper-style
 *   `usage {type: "duration", seconds}`; signed `sha256(request):sha256(body)` (signChatWithKey); billed
 *   `round(seconds) × inputPrice` (at least 1 s).
 *
 * A route that does not belong to the provider's service type is refused before anything is billed.
 */
import { createHash, randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import { deflateSync } from "node:zlib"
import { isRecord } from "@0g-compute/core"
import {
  formBytes,
  formText,
  HttpFailure,
  InvalidMultipartBody,
  isFormData,
  parseFormData,
  readBody,
} from "@0g-compute/core/node"
import { admit, parseSession, verifySession } from "./auth.js"
import { type BrokerMode, providerTypeOf, routingFields, sendsResKey, signedText } from "./broker2026.js"
import { MAX_BODY_BYTES } from "./http.js"
import type { SourceResponse } from "./model.js"
import { relay } from "./relay.js"
import type { ServerContext } from "./server.js"
import { signResponse } from "./signatures.js"

export type EmulatedServiceType = "chatbot" | "text-to-image" | "image-editing" | "speech-to-text"

/** The route each non-chat service type serves, below `/v1/proxy`. */
export const MEDIA_ROUTES: Readonly<Record<string, Exclude<EmulatedServiceType, "chatbot">>> = {
  "/images/generations": "text-to-image",
  "/images/edits": "image-editing",
  "/audio/transcriptions": "speech-to-text",
}

/** What every devnet transcription says. */
export const DEVNET_TRANSCRIPT = "the quick brown fox jumps over the lazy dog"

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest()
const hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")

// ---- a tiny PNG, written from the PNG specification ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (b: Uint8Array) => {
  let c = 0xffffffff
  for (const x of b) c = (CRC_TABLE[(c ^ x) & 0xff] as number) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const chunk = (type: string, data: Uint8Array): Buffer => {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, "latin1")
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

/**
 * An 8×8 RGB PNG coloured from `seed`. Its length is a multiple of 3 (a text chunk pads it), so its base64 has no
 * padding and every base64 character carries image bits: flipping any of them changes the decoded image.
 */
export const tinyPng = (seed: Uint8Array): Uint8Array => {
  const size = 8
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // truecolour
  const rows: number[] = []
  for (let y = 0; y < size; y++) {
    rows.push(0) // filter: none
    for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) rows.push(seed[(y * size + x + c) % seed.length] ?? 0)
  }
  const parts = [
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.from(rows))),
  ]
  const length = parts.reduce((n, p) => n + p.length, 0) + 12 /* IEND */ + 12 + 8 /* tEXt with "devnet\0x" */
  const pad = (3 - (length % 3)) % 3
  parts.push(chunk("tEXt", Buffer.from(`devnet\0x${"x".repeat(pad)}`, "latin1")), chunk("IEND", new Uint8Array(0)))
  return new Uint8Array(Buffer.concat(parts))
}

// ---- multipart/form-data: parsed by the platform (core's parseFormData) from the bounded body ----

/** The form of a bounded multipart body; the broker-style 400 when it is not one. */
const formOf = async (raw: Uint8Array, contentType: string | undefined): Promise<FormData> => {
  try {
    return await parseFormData(raw, contentType)
  } catch (e) {
    if (!(e instanceof InvalidMultipartBody)) throw e
    throw new HttpFailure(400, `invalid multipart body: ${e.reason === "syntax" ? "malformed" : "no boundary"}`)
  }
}

/** The broker's reading of `n`: a positive whole number, else 1. */
const requested = (v: unknown): number => {
  const n = typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : 1
}

/** The devnet "model" renders at most 10 images, silently (as a real upstream may clamp `n`). */
const rendered = (n: number) => Math.min(n, 10)

const isMultipart = (req: IncomingMessage) => isFormData(req.headers["content-type"])

interface Answer {
  readonly body: Uint8Array
  readonly contentType: string
  /** Decoded images (image services): what the decentralized broker signs. */
  readonly images?: ReadonlyArray<Uint8Array>
  readonly inputFee: bigint
  readonly outputFee: bigint
}

const imageAnswer = (
  images: ReadonlyArray<Uint8Array>,
  created: number,
  outputPrice: bigint,
  billedImages = images.length,
): Answer => {
  const data = images.map((img) => ({ b64_json: Buffer.from(img).toString("base64") }))
  // `data` last, so the last letter of the body is image data (what the flipResponseByte fault flips).
  const body = new TextEncoder().encode(JSON.stringify({ created, data }))
  return { body, contentType: "application/json", images, inputFee: 0n, outputFee: BigInt(billedImages) * outputPrice }
}

const noUrls = (format: string | undefined) => {
  if (format === "url") throw new HttpFailure(400, "response_format=url is not served by the devnet: use b64_json")
}

const generate = (raw: Uint8Array, created: number, outputPrice: bigint): Answer => {
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(raw).toString("utf8"))
  } catch {
    throw new HttpFailure(400, "invalid request body: not JSON")
  }
  if (!isRecord(json) || typeof json.prompt !== "string") throw new HttpFailure(400, "invalid request: prompt required")
  noUrls(typeof json.response_format === "string" ? json.response_format : undefined)
  const prompt = json.prompt
  const images = Array.from({ length: rendered(requested(json.n)) }, (_, i) => tinyPng(sha256(`${prompt}\n${i}`)))
  return imageAnswer(images, created, outputPrice)
}

const edit = async (req: IncomingMessage, raw: Uint8Array, created: number, outputPrice: bigint): Promise<Answer> => {
  if (!isMultipart(req)) throw new HttpFailure(400, "invalid request: image edits take multipart/form-data")
  const form = await formOf(raw, req.headers["content-type"])
  const source = (await formBytes(form, "image")) ?? (await formBytes(form, "image[]"))
  const prompt = formText(form, "prompt")
  if (source === undefined || prompt === undefined)
    throw new HttpFailure(400, "invalid request: image and prompt required")
  noUrls(formText(form, "response_format"))
  // `n` multiplies the fee, so a form naming it twice is refused: parsers disagree on which value wins.
  if (form.getAll("n").length > 1)
    throw new HttpFailure(400, "`n` could not be read unambiguously: `n` was sent more than once; send it once")
  const n = requested(formText(form, "n"))
  const seed = (i: number) => sha256(Buffer.concat([sha256(source), Buffer.from(`${prompt}\n${i}`)]))
  const images = Array.from({ length: rendered(n) }, (_, i) => tinyPng(seed(i)))
  // An edit is billed for the images requested, whatever was rendered (image_editing.go); a generation for those
  // delivered.
  return imageAnswer(images, created, outputPrice, n)
}

/** Audio seconds of a file, as the devnet's "model" hears it: 16 kHz 16-bit mono, at least 1 s. */
export const audioSeconds = (bytes: number): number => Math.max(1, Math.round(bytes / 32_000))

const transcribe = async (req: IncomingMessage, raw: Uint8Array, inputPrice: bigint): Promise<Answer> => {
  if (!isMultipart(req)) throw new HttpFailure(400, "invalid request: transcriptions take multipart/form-data")
  const form = await formOf(raw, req.headers["content-type"])
  const file = await formBytes(form, "file")
  if (file === undefined) throw new HttpFailure(400, "invalid request: file required")
  if (formText(form, "stream") === "true")
    throw new HttpFailure(400, "streamed transcriptions are not served by the devnet")
  const seconds = audioSeconds(file.length)
  const format = formText(form, "response_format") ?? "json"
  if (format !== "json" && format !== "verbose_json") {
    throw new HttpFailure(400, `response_format=${format} is not served by the devnet: use json or verbose_json`)
  }
  const usage = { type: "duration", seconds }
  const out =
    format === "json"
      ? { text: DEVNET_TRANSCRIPT, usage }
      : { task: "transcribe", language: "english", duration: seconds, text: DEVNET_TRANSCRIPT, usage }
  const body = new TextEncoder().encode(JSON.stringify(out))
  return { body, contentType: "application/json", inputFee: BigInt(seconds) * inputPrice, outputFee: 0n }
}

const oneChunk = (a: Answer): SourceResponse => ({
  status: 200,
  headers: { "content-type": a.contentType },
  body: (async function* () {
    yield a.body
  })(),
  cancel: () => {},
})

/** The signed text of a media answer, or undefined when this provider type never signs. */
const mediaSignedText = (mode: BrokerMode, requestHash: string, a: Answer): string | undefined => {
  if (a.images !== undefined && a.images.length > 0 && providerTypeOf(mode) === "decentralized") {
    return `${requestHash}:${a.images.map(hex).join(",")}`
  }
  return signedText(mode, requestHash, hex(a.body))
}

/** Serves one media route for a provider of `serviceType` (refused before billing when the route is not its own). */
export const serveMedia = async (
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  kind: Exclude<EmulatedServiceType, "chatbot">,
): Promise<void> => {
  if (req.method !== "POST") throw new HttpFailure(405, "method not allowed: use POST")
  const serviceType = ctx.serviceType ?? "chatbot"
  if (serviceType !== kind) {
    throw new HttpFailure(400, `this provider serves ${serviceType}; the route is for ${kind}`)
  }
  const raw = await readBody(req, MAX_BODY_BYTES)
  const now = Date.now()
  const mode: BrokerMode = ctx.broker ?? {}
  const signed = parseSession(req.headers.authorization, ctx.provider, now, ctx.broker !== undefined)
  const [account, service] = await Promise.all([ctx.chain.account(signed.token.address), ctx.chain.service()])
  const user = verifySession(signed, ctx.provider, account, now)
  admit(user, account, service, ctx.ledger.unsettled(user))
  if (service === undefined) throw new HttpFailure(503, "service not registered")
  const created = Math.floor(now / 1000)
  const answer =
    kind === "text-to-image"
      ? generate(raw, created, service.outputPrice)
      : kind === "image-editing"
        ? await edit(req, raw, created, service.outputPrice)
        : await transcribe(req, raw, service.inputPrice)
  const chatKey = randomUUID()
  const faults = ctx.faults.current()
  await relay(oneChunk(answer), {
    req,
    res,
    chatKey,
    provider: ctx.provider,
    stream: false,
    faults,
    resKey: sendsResKey(mode),
    finish: async () => {
      const fee = answer.inputFee + answer.outputFee
      ctx.ledger.add({ requestHash: chatKey, user, inputFee: answer.inputFee, outputFee: answer.outputFee, fee })
      const text = mediaSignedText(mode, hex(raw), answer)
      if (text !== undefined && faults.dropSignature !== true) {
        const payload = await signResponse(ctx.tee, text, faults.wrongSigner === true)
        ctx.signatures.put(chatKey, { ...payload, ...routingFields(mode) })
      }
      ctx.onEvent?.({ _tag: "Billed", chatId: chatKey, user, fee })
    },
  })
}
