/**
 * The image and audio routes for a virtual key — `/v1/images/generations`, `/v1/images/edits`,
 * `/v1/audio/transcriptions` — sent only to providers registered with that service type, the body forwarded as the
 * caller sent it (a multipart body keeps its boundary), verified and billed by `@0g-compute/inference`'s fetch.
 *
 * Budgets work as for chats: the request's maximum cost by the broker's billing (`mediaMaxCost`: n images × the output
 * price; a transcription an hour of audio at the input price) is reserved in one statement before anything is sent,
 * and settled to the verified fee before the answer is written. A JSON body's `provider` routing field is read and
 * removed as for chats; a multipart body is forwarded byte for byte (no routing field).
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { HttpFailure, readBody } from "@0g-compute/core/node"
import {
  abortOnClientClose,
  type FailedAttempt,
  type MEDIA_GATEWAY_ROUTES,
  mediaMaxCost,
  mediaRequestFields,
} from "@0g-compute/inference/node"
import { exhausted, reserveAttempt } from "./attempt.js"
import type { ChatContext } from "./chat.js"
import { KeyBudgetExceeded, KeyScopeDenied } from "./errors.js"
import type { KeyInfo } from "./keys.js"
import { candidatesFor, type Preferences, takePreferences } from "./routing.js"

export type MediaKind = (typeof MEDIA_GATEWAY_ROUTES)[string]

const NO_PREFERENCES: Preferences = { sort: undefined, order: undefined, allowFallbacks: true }

/** The body to send and the routing preferences it carried (only a JSON body can carry them). */
const prepare = (raw: Buffer, contentType: string): { body: Buffer; prefs: Preferences } => {
  if (contentType.toLowerCase().startsWith("multipart/")) return { body: raw, prefs: NO_PREFERENCES }
  const json = JSON.parse(raw.toString("utf8")) as unknown // valid: mediaRequestFields parsed it first
  if (typeof json !== "object" || json === null || Array.isArray(json) || !("provider" in json))
    return { body: raw, prefs: NO_PREFERENCES }
  const prefs = takePreferences(json as Record<string, unknown>)
  return { body: Buffer.from(JSON.stringify(json)), prefs }
}

export const media = async (
  ctx: ChatContext,
  key: KeyInfo,
  kind: MediaKind,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> => {
  const raw = await readBody(req, ctx.maxBodyBytes)
  const contentType = req.headers["content-type"] ?? "application/json"
  const { model, n } = await mediaRequestFields(raw, contentType)
  const { body, prefs } = prepare(raw, contentType)
  if (key.models !== undefined && (model === undefined || !key.models.includes(model)))
    throw new KeyScopeDenied({ keyId: key.id, what: "model", value: model ?? "auto" })
  const candidates = candidatesFor(model, prefs, key, ctx.router, ctx.targets, ctx.latency, kind)
  if (candidates.length === 0) throw new HttpFailure(404, `no provider serves ${kind}`, { code: "ModelNotFound" })
  const gone = abortOnClientClose(res, "router")
  const attempts: FailedAttempt[] = []
  const refusals: Array<{ provider: string; refusal: KeyBudgetExceeded }> = []
  for (const target of candidates) {
    const cost = mediaMaxCost(kind, n, target.prices.inputPerToken, target.prices.outputPerToken)
    const units = Number(mediaMaxCost(kind, n, 1n, 1n)) // the same bound in billed units (images, audio seconds)
    const attempt = await reserveAttempt(ctx, key, target, {
      cost,
      model: model ?? target.defaultModel,
      stream: false,
      signal: gone.signal,
      countsRequest: attempts.length === 0,
      tokens: units,
    })
    if (attempt instanceof KeyBudgetExceeded) {
      refusals.push({ provider: target.address, refusal: attempt })
      continue
    }
    let response: Response
    let bytes: Buffer
    try {
      response = await attempt.fetch(`${target.url}/v1/proxy${path.slice(3)}`, {
        method: "POST",
        headers: { "content-type": contentType },
        body: new Uint8Array(body),
        signal: gone.signal,
      })
      bytes = Buffer.from(await response.arrayBuffer())
    } catch (e) {
      if ((await attempt.failed(e, attempts)) === "gone") return
      continue
    }
    await (attempt.settled() ?? attempt.settleUnbilled(response.status, new Error("the provider billed nothing")))
    const exchange = attempt.exchange()
    ctx.latency.observe(target.address, Date.now() - attempt.started)
    attempt.markUp()
    const chatId = response.headers.get("zg-res-key") ?? undefined
    res.writeHead(response.status, {
      "content-type": response.headers.get("content-type") ?? "application/json",
      "x-0g-provider": target.address,
      "x-0g-key": key.id,
      "x-0g-verification": exchange?.level ?? "unverified",
      "x-zg-verified": exchange?.record.verdict ?? "Unknown",
      "x-zg-request-id": response.headers.get("x-zg-request-id") ?? "",
      ...(chatId === undefined ? {} : { "x-zg-chat-id": chatId }),
    })
    res.end(bytes)
    return
  }
  throw exhausted(kind, attempts, refusals)
}
