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
import { runFacade } from "@0g-compute/core"
import type { ExchangeResult } from "@0g-compute/inference"
import {
  abortOnClientClose,
  failsOver,
  HttpFailure,
  type MEDIA_GATEWAY_ROUTES,
  mediaMaxCost,
  mediaRequestFields,
  messageOf,
  providerFailureStatus,
  readBody,
  tagOf,
} from "@0g-compute/inference/node"
import type { ChatContext } from "./chat.js"
import { KeyBudgetExceeded, KeyScopeDenied } from "./errors.js"
import type { KeyInfo } from "./keys.js"
import { candidatesFor, type Preferences, takePreferences } from "./routing.js"
import type { Settlement } from "./spend.js"

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
  const { model, n } = mediaRequestFields(raw, contentType)
  const { body, prefs } = prepare(raw, contentType)
  if (key.models !== undefined && (model === undefined || !key.models.includes(model)))
    throw new KeyScopeDenied({ keyId: key.id, what: "model", value: model ?? "auto" })
  const candidates = candidatesFor(model, prefs, key, ctx.router, ctx.targets, ctx.latency, kind)
  if (candidates.length === 0) throw new HttpFailure(404, "ModelNotFound", `no provider serves ${kind}`)
  const gone = abortOnClientClose(res, "router")
  const attempts: Array<{ provider: string; code: string; message: string }> = []
  let refused: KeyBudgetExceeded | undefined
  for (const target of candidates) {
    const cost = mediaMaxCost(kind, n, target.prices.inputPerToken, target.prices.outputPerToken)
    const sentModel = model ?? target.defaultModel
    let reservationId: string
    try {
      reservationId = await runFacade(
        ctx.spend.reserve({ keyId: key.id, amount: cost, provider: target.address, model: sentModel }),
      )
    } catch (e) {
      if (e instanceof KeyBudgetExceeded) {
        refused = refused === undefined || e.required < refused.required ? e : refused
        continue
      }
      throw e
    }
    const started = Date.now()
    let settled: Promise<unknown> | undefined
    const settle = (s: Omit<Settlement, "reservationId" | "provider" | "model" | "stream">) => {
      settled ??= runFacade(
        ctx.spend.settle({ ...s, reservationId, provider: target.address, model: sentModel, stream: false }),
      ).catch(() => undefined) // a lost settle leaves the reservation, which the next start reconciles
      return settled
    }
    let exchange: ExchangeResult | undefined
    const fetch = ctx.fetchFor(target.address, {
      onExchange: (x) => {
        exchange = x
        // The provider bills what it bills: a fee above the reservation is logged as it is (and the provider is
        // marked down below), never hidden.
        void settle({
          fee: x.record.fee,
          promptTokens: x.record.promptTokens,
          completionTokens: x.record.completionTokens,
          verification: x.level,
          verdict: x.record.verdict,
          latencyMs: x.record.durationMs,
          status: x.error === undefined ? 200 : 502,
          error: x.error?.message,
        })
      },
    })
    const unbilled = (status: number, e: unknown) =>
      settle({
        fee: 0n,
        promptTokens: 0,
        completionTokens: 0,
        verification: undefined,
        verdict: tagOf(e),
        latencyMs: Date.now() - started,
        status,
        error: messageOf(e),
      })
    let response: Response
    let bytes: Buffer
    try {
      response = await fetch(`${target.url}/v1/proxy${path.slice(3)}`, {
        method: "POST",
        headers: { "content-type": contentType },
        body: new Uint8Array(body),
        signal: gone.signal,
      })
      bytes = Buffer.from(await response.arrayBuffer())
    } catch (e) {
      await (settled ?? unbilled(providerFailureStatus(e), e))
      if (gone.signal.aborted) return
      attempts.push({ provider: target.address, code: tagOf(e), message: messageOf(e) })
      if (!failsOver(e))
        throw new HttpFailure(providerFailureStatus(e), tagOf(e), messageOf(e), "provider_error", attempts)
      ctx.router.markDown(target.address, Date.now(), `${tagOf(e)}: ${messageOf(e)}`)
      continue
    }
    await (settled ?? unbilled(response.status, new Error("the provider billed nothing")))
    ctx.latency.observe(target.address, Date.now() - started)
    if (exchange !== undefined && exchange.record.fee > cost)
      ctx.router.markDown(target.address, Date.now(), `BudgetOverrun: billed ${exchange.record.fee} > reserved ${cost}`)
    else ctx.router.markUp(target.address)
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
  if (attempts.length === 0 && refused !== undefined) throw refused
  throw new HttpFailure(502, "NoProviderAvailable", `every ${kind} provider failed`, "provider_error", attempts)
}
