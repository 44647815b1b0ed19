/**
 * The gateway's image and audio routes: `/v1/images/generations`, `/v1/images/edits`, `/v1/audio/transcriptions`,
 * each sent to the providers registered with that service type (fetch/media.ts), the body forwarded byte for byte
 * (a multipart body keeps its boundary), verified and recorded by the fetch, with failover while nothing was sent.
 *
 * Spending cap: an image request reserves n × the output price; a transcription reserves an hour of audio at the input
 * price (its length is not known before the provider answers).
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { describeCause } from "@0g-compute/core"
import { HttpFailure, isFormData, parseFormData, readBody } from "@0g-compute/core/node"
import type { ExchangeResult } from "../../fetch/adapter.js"
import type { ServiceKind } from "../../fetch/media.js"
import type { InferenceRequests } from "../../requests.js"
import type { UsageMeterShape } from "../../usage.js"
import type { Budget } from "./budget.js"
import {
  abortOnClientClose,
  attemptFailed,
  coolOverrun,
  type FailedAttempt,
  noProviderAvailable,
  postMedia,
  providerFailureStatus,
  tagOf,
} from "./http.js"
import type { RoutedProvider, Router } from "./router.js"

export const MEDIA_GATEWAY_ROUTES: Readonly<Record<string, Exclude<ServiceKind, "chatbot">>> = {
  "/v1/images/generations": "text-to-image",
  "/v1/images/edits": "image-editing",
  "/v1/audio/transcriptions": "speech-to-text",
}

export interface MediaTarget {
  readonly address: string
  readonly url: string
  readonly serviceType: string
  readonly inputPerUnit: bigint
  readonly outputPerUnit: bigint
}

export interface MediaContext {
  readonly router: Router
  readonly targets: ReadonlyMap<string, MediaTarget>
  readonly budget: Budget
  readonly meter: UsageMeterShape
  readonly fetchFor: InferenceRequests["Service"]["fetch"]
  readonly maxBody: number
  readonly capReached: (required?: bigint) => HttpFailure
}

const AUDIO_SECONDS_RESERVED = 3600n

/**
 * What a media request may cost at most, by the broker's billing (fetch/media.ts): n images × the output price; a
 * transcription an hour of audio at the input price (its length is not known before the provider answers).
 */
export const mediaMaxCost = (
  kind: Exclude<ServiceKind, "chatbot">,
  n: number,
  inputPerUnit: bigint,
  outputPerUnit: bigint,
): bigint => (kind === "speech-to-text" ? AUDIO_SECONDS_RESERVED * inputPerUnit : BigInt(n) * outputPerUnit)

/**
 * The `n` an older broker bills an image edit for. Builds before its multipart parser did not parse the form: they
 * took the digits after the first `name="n"` (else `name=n`) anywhere in the raw body and the blank line after it
 * (parseMultipartImageNum in image_editing.go). Newer builds parse the form and refuse a doubled `n`. Reserving the
 * larger of this and the parsed form's `n` keeps the reservation a bound on the bill of either build, even for a body
 * where the two differ (a file whose bytes contain that text).
 */
const brokerImageCount = (raw: Buffer): number => {
  const text = raw.toString("latin1")
  let at = text.indexOf('name="n"')
  if (at < 0) at = text.indexOf("name=n")
  if (at < 0) return 1
  const crlf = text.indexOf("\r\n\r\n", at)
  const lf = crlf < 0 ? text.indexOf("\n\n", at) : -1
  if (crlf < 0 && lf < 0) return 1
  const start = crlf >= 0 ? crlf + 4 : lf + 2
  const digits = /^\d*/.exec(text.slice(start, start + 32))?.[0] ?? ""
  const n = Number(digits)
  return digits.length > 15 ? Number.MAX_SAFE_INTEGER : n > 0 ? n : 1
}

/**
 * The `model` and `n` of an image or audio request body: a multipart/form-data body is parsed by the platform (400
 * InvalidMultipartBody when it does not parse), anything else must be JSON (400 InvalidJsonBody).
 */
export const mediaRequestFields = async (
  raw: Buffer,
  contentType: string,
): Promise<{ model?: string | undefined; n: number }> => {
  let model: unknown
  let n: unknown
  let billed = 1
  if (isFormData(contentType)) {
    const form = await parseFormData(raw, contentType)
    model = form.get("model")
    n = form.get("n")
    billed = brokerImageCount(raw)
  } else {
    try {
      const json = JSON.parse(raw.toString("utf8")) as Record<string, unknown>
      model = json?.model
      n = json?.n
    } catch {
      throw new HttpFailure(400, "the request body is not JSON (or multipart/form-data)", { code: "InvalidJsonBody" })
    }
  }
  const count = Number(typeof n === "string" || typeof n === "number" ? n : 1)
  return {
    model: typeof model === "string" && model !== "" ? model : undefined,
    n: Math.max(Number.isInteger(count) && count > 0 ? count : 1, billed),
  }
}

export const mediaRoute = async (
  ctx: MediaContext,
  kind: Exclude<ServiceKind, "chatbot">,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> => {
  if (ctx.budget.remaining() === 0n) throw ctx.capReached()
  const raw = await readBody(req, ctx.maxBody)
  const contentType = req.headers["content-type"] ?? "application/json"
  const { model, n } = await mediaRequestFields(raw, contentType)
  const ofKind = (list: ReadonlyArray<RoutedProvider>) =>
    list.filter((p) => ctx.targets.get(p.address.toLowerCase())?.serviceType === kind)
  const now = Date.now()
  // A model no catalogue lists (e.g. "dall-e-3" from a client default): any provider of this service type.
  let candidates = ofKind(ctx.router.candidates(model, now))
  if (candidates.length === 0) candidates = ofKind(ctx.router.candidates(undefined, now))
  if (candidates.length === 0) throw new HttpFailure(404, `no provider serves ${kind}`, { code: "ModelNotFound" })
  const gone = abortOnClientClose(res, "gateway")
  const attempts: FailedAttempt[] = []
  let unaffordable: bigint | undefined
  for (const p of candidates) {
    const target = ctx.targets.get(p.address.toLowerCase())
    if (target === undefined) continue
    const cost = mediaMaxCost(kind, n, target.inputPerUnit, target.outputPerUnit)
    const reservation = ctx.budget.reserve(cost)
    if (reservation === undefined) {
      unaffordable = unaffordable === undefined || cost < unaffordable ? cost : unaffordable
      continue
    }
    let exchange: ExchangeResult | undefined
    const fetch = ctx.fetchFor(target.address, {
      onExchange: (x) => {
        ctx.meter.record(x.record)
        exchange = x
        if (ctx.budget.release(reservation, x.record.fee)) coolOverrun(ctx.router, p.address, x.record.fee, cost)
      },
    })
    const path = Object.entries(MEDIA_GATEWAY_ROUTES).find(([, k]) => k === kind)?.[0] ?? ""
    let answer: Awaited<ReturnType<typeof postMedia>>
    try {
      answer = await postMedia(fetch, target.url, path, contentType, raw, gone.signal)
    } catch (e) {
      ctx.budget.release(reservation)
      if (gone.signal.aborted) return
      if (!attemptFailed(ctx.router, p.address, e, attempts))
        throw new HttpFailure(providerFailureStatus(e), describeCause(e), { code: tagOf(e), type: "provider_error" })
      continue
    }
    const { response, bytes } = answer
    ctx.budget.release(reservation)
    ctx.router.markUp(p.address)
    const chatId = response.headers.get("zg-res-key") ?? undefined
    res.writeHead(response.status, {
      "content-type": response.headers.get("content-type") ?? "application/json",
      "x-zg-provider": p.address,
      "x-zg-request-id": response.headers.get("x-zg-request-id") ?? "",
      ...(chatId === undefined ? {} : { "x-zg-chat-id": chatId }),
      "x-zg-verified": response.headers.get("x-zg-verified") ?? exchange?.record.verdict ?? "Verified",
      "x-zg-verification-level": response.headers.get("x-zg-verification-level") ?? exchange?.level ?? "bytes-bound",
    })
    res.end(bytes)
    return
  }
  if (attempts.length === 0 && unaffordable !== undefined) throw ctx.capReached(unaffordable)
  throw noProviderAvailable(kind, attempts)
}
