/**
 * `POST /v1/chat/completions` for a virtual key: scopes, the `provider` routing field (removed before forwarding), a
 * reservation of the request's maximum cost per attempt, the verifying fetch of `@0g-compute/inference`, failover
 * while nothing reached the caller, and settlement of the reservation to the verified fee.
 *
 * Settlement is durable before the caller learns the request ended: a non-stream answer is sent after the settle
 * statement committed, and a stream's `data: [DONE]` is held until it committed.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { runFacade } from "@0g-compute/core"
import type { ExchangeResult, InferenceRequests } from "@0g-compute/inference"
import {
  abortOnClientClose,
  errorBody,
  failsOver,
  HttpFailure,
  invalidLimitField,
  maxCostOf,
  messageOf,
  passThrough,
  positiveInt,
  postChat,
  providerFailureStatus,
  type Router,
  readBody,
  requestedMaxTokens,
  tagOf,
} from "@0g-compute/inference/node"
import { KeyBudgetExceeded, KeyScopeDenied } from "./errors.js"
import type { KeyInfo } from "./keys.js"
import { candidatesFor, type Latency, type Target, takePreferences } from "./routing.js"
import type { Settlement, SpendShape } from "./spend.js"

export interface ChatContext {
  readonly spend: SpendShape
  readonly fetchFor: InferenceRequests["Service"]["fetch"]
  readonly router: Router
  readonly targets: ReadonlyMap<string, Target>
  readonly latency: Latency
  readonly defaultMaxTokens: number
  readonly maxBodyBytes: number
}

const DONE = Buffer.from("data: [DONE]")

/** Holds the chunk carrying `data: [DONE]` until `gate()` resolves (the settlement committed). */
const holdDone = (body: ReadableStream<Uint8Array>, gate: () => Promise<unknown>) =>
  body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(chunk, controller) {
        if (Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).includes(DONE)) await gate()
        controller.enqueue(chunk)
      },
    }),
  )

export const chat = async (ctx: ChatContext, key: KeyInfo, req: IncomingMessage, res: ServerResponse) => {
  const raw = await readBody(req, ctx.maxBodyBytes)
  let json: Record<string, unknown>
  try {
    json = JSON.parse(raw.toString("utf8")) as Record<string, unknown>
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error("not an object")
  } catch {
    throw new HttpFailure(400, "InvalidJson", "the request body is not a JSON object")
  }
  const prefs = takePreferences(json)
  const model = typeof json.model === "string" ? json.model : undefined
  if (key.models !== undefined && (model === undefined || !key.models.includes(model)))
    throw new KeyScopeDenied({ keyId: key.id, what: "model", value: model ?? "auto" })
  const candidates = candidatesFor(model, prefs, key, ctx.router, ctx.targets, ctx.latency)
  if (candidates.length === 0)
    throw new HttpFailure(404, "ModelNotFound", `no provider serves model ${JSON.stringify(model)}`)
  const bad = invalidLimitField(json)
  if (bad !== undefined)
    throw new HttpFailure(
      400,
      "InvalidLimit",
      `'${bad}' must be a positive integer`,
      "invalid_request_error",
      undefined,
      {
        param: bad,
      },
    )
  // The output is bounded before sending: the body carries both limit fields and `n` equal to what is reserved.
  const maxTokens = requestedMaxTokens(json) ?? ctx.defaultMaxTokens
  const bounded = { max_tokens: maxTokens, max_completion_tokens: maxTokens, n: positiveInt(json.n) ?? 1 }
  const stream = json.stream === true
  const gone = abortOnClientClose(res, "router")

  const attempts: Array<{ provider: string; code: string; message: string }> = []
  let refused: KeyBudgetExceeded | undefined
  for (const target of candidates) {
    const auto = model === undefined || model === "auto"
    const sent = { ...json, ...(auto ? { model: target.defaultModel } : {}), ...bounded }
    const body = Buffer.from(JSON.stringify(sent))
    const cost = maxCostOf(sent, body.length, maxTokens, target.prices)
    const sentModel = String(sent.model)
    let reservationId: string
    try {
      reservationId = await runFacade(
        ctx.spend.reserve({ keyId: key.id, amount: cost, provider: target.address, model: sentModel }),
      )
    } catch (e) {
      // Another provider may be cheaper; a rate limit or a database failure ends the request.
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
        ctx.spend.settle({ ...s, reservationId, provider: target.address, model: sentModel, stream }),
      ).catch(() => undefined) // a lost settle leaves the reservation, which the next start reconciles
      return settled
    }
    let exchange: ExchangeResult | undefined
    const fetch = ctx.fetchFor(target.address, {
      onExchange: (x) => {
        exchange = x
        // Billed but unreadable to the end: the reserved maximum stands as the fee.
        const fee = x.record.feeUnknown === true && x.record.fee < cost ? cost : x.record.fee
        void settle({
          fee,
          promptTokens: x.record.promptTokens,
          completionTokens: x.record.completionTokens,
          verification: x.level,
          verdict: x.record.verdict,
          latencyMs: x.record.durationMs,
          status: x.error === undefined ? 200 : 502,
          error: x.error?.message,
          chatId: x.record.chatId,
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
    try {
      response = await postChat(fetch, target.url, body, gone.signal)
    } catch (e) {
      await (settled ?? unbilled(providerFailureStatus(e), e))
      if (gone.signal.aborted) return
      attempts.push({ provider: target.address, code: tagOf(e), message: messageOf(e) })
      if (!failsOver(e))
        throw new HttpFailure(providerFailureStatus(e), tagOf(e), messageOf(e), "provider_error", attempts)
      ctx.router.markDown(target.address, Date.now(), `${tagOf(e)}: ${messageOf(e)}`)
      continue
    }
    ctx.latency.observe(target.address, Date.now() - started)
    ctx.router.markUp(target.address)
    const requestId = response.headers.get("x-zg-request-id") ?? ""
    const headers: Record<string, string> = {
      "content-type": response.headers.get("content-type") ?? "application/json",
      "x-0g-provider": target.address,
      "x-0g-key": key.id,
      "x-zg-request-id": requestId,
    }
    if (response.body === null || !(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
      // Non-stream: the fetch verified and recorded the exchange before resolving.
      const bytes = Buffer.from(await response.arrayBuffer())
      await (settled ?? unbilled(response.status, new Error("the provider billed nothing")))
      res.writeHead(response.status, {
        ...headers,
        "x-0g-verification": exchange?.level ?? "unverified",
        "x-zg-verified": exchange?.record.verdict ?? "Unknown",
        // The provider's id of the billed exchange, as the request log records it (chat_id).
        ...(exchange?.record.chatId === undefined ? {} : { "x-0g-chat-id": exchange.record.chatId }),
      })
      res.end(bytes)
      return
    }
    const failure = await passThrough(
      holdDone(response.body, () => settled ?? Promise.resolve()),
      res,
      response.status,
      // The level is known only at the end: it is in the final `x_zg_verification` event.
      { ...headers, "x-0g-verification": "final-event" },
      () => ({
        verdict: exchange?.record.verdict ?? "Unknown",
        level: exchange?.level,
        provider: target.address,
        requestId,
        chatId: exchange?.record.chatId,
      }),
      (e) => `data: ${errorBody(messageOf(e), "verification_failed", tagOf(e), { provider: target.address })}\n\n`,
    )
    if (failure !== undefined)
      ctx.router.markDown(target.address, Date.now(), `${tagOf(failure)}: ${messageOf(failure)}`)
    // A stream that ended without a billed exchange while the client stayed: nothing will settle it later.
    if (settled === undefined && !gone.signal.aborted) await unbilled(502, failure ?? new Error("no usage recorded"))
    return
  }
  if (attempts.length === 0 && refused !== undefined) throw refused
  throw new HttpFailure(
    502,
    "NoProviderAvailable",
    `every provider failed for model ${JSON.stringify(model)}`,
    "provider_error",
    attempts,
  )
}
