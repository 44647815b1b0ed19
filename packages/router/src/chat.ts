/**
 * `POST /v1/chat/completions` for a virtual key: scopes, the `provider` routing field (removed before forwarding), a
 * reservation of the request's maximum cost per attempt, the verifying fetch of `@0g-compute/inference`, failover
 * while nothing reached the caller, and settlement of the reservation to the verified fee.
 *
 * Settlement is durable before the caller learns the request ended: a non-stream answer is sent after the settle
 * statement committed, and a stream's `data: [DONE]` is held until it committed.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { describeCause } from "@0g-compute/core"
import { HttpFailure, parseJsonObject, readBody } from "@0g-compute/core/node"
import type { InferenceRequests } from "@0g-compute/inference"
import {
  abortOnClientClose,
  coolDown,
  errorBody,
  type FailedAttempt,
  invalidLimitField,
  maxCostOf,
  passThrough,
  positiveInt,
  postChat,
  type Router,
  requestedMaxTokens,
  tagOf,
} from "@0g-compute/inference/node"
import { exhausted, reserveAttempt } from "./attempt.js"
import { KeyBudgetExceeded, KeyScopeDenied } from "./errors.js"
import type { KeyInfo } from "./keys.js"
import { candidatesFor, type Latency, type Target, takePreferences } from "./routing.js"
import type { SpendShape } from "./spend.js"

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
  const json = parseJsonObject(raw)
  const prefs = takePreferences(json)
  const model = typeof json.model === "string" ? json.model : undefined
  if (key.models !== undefined && (model === undefined || !key.models.includes(model)))
    throw new KeyScopeDenied({ keyId: key.id, what: "model", value: model ?? "auto" })
  const candidates = candidatesFor(model, prefs, key, ctx.router, ctx.targets, ctx.latency)
  if (candidates.length === 0)
    throw new HttpFailure(404, `no provider serves model ${JSON.stringify(model)}`, { code: "ModelNotFound" })
  const bad = invalidLimitField(json)
  if (bad !== undefined)
    throw new HttpFailure(400, `'${bad}' must be a positive integer`, { code: "InvalidLimit", extra: { param: bad } })
  // The output is bounded before sending: the body carries both limit fields and `n` equal to what is reserved.
  const maxTokens = requestedMaxTokens(json) ?? ctx.defaultMaxTokens
  const bounded = { max_tokens: maxTokens, max_completion_tokens: maxTokens, n: positiveInt(json.n) ?? 1 }
  const stream = json.stream === true
  const gone = abortOnClientClose(res, "router")

  const attempts: FailedAttempt[] = []
  const refusals: Array<{ provider: string; refusal: KeyBudgetExceeded }> = []
  for (const target of candidates) {
    const auto = model === undefined || model === "auto"
    const sent = { ...json, ...(auto ? { model: target.defaultModel } : {}), ...bounded }
    const body = Buffer.from(JSON.stringify(sent))
    const cost = maxCostOf(sent, body.length, maxTokens, target.prices)
    // The same bound in tokens: every token at a price of one.
    const tokens = Number(maxCostOf(sent, body.length, maxTokens, { inputPerToken: 1n, outputPerToken: 1n }))
    const attempt = await reserveAttempt(ctx, key, target, {
      cost,
      model: String(sent.model),
      stream,
      signal: gone.signal,
      countsRequest: attempts.length === 0,
      tokens,
    })
    if (attempt instanceof KeyBudgetExceeded) {
      refusals.push({ provider: target.address, refusal: attempt }) // another provider may be cheaper
      continue
    }
    const { started, settled, settleUnbilled: unbilled } = attempt
    let response: Response
    try {
      response = await postChat(attempt.fetch, target.url, body, gone.signal)
    } catch (e) {
      if ((await attempt.failed(e, attempts)) === "gone") return
      continue
    }
    ctx.latency.observe(target.address, Date.now() - started)
    attempt.markUp()
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
      await (settled() ?? unbilled(response.status, new Error("the provider billed nothing")))
      const exchange = attempt.exchange()
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
      holdDone(response.body, () => settled() ?? Promise.resolve()),
      res,
      response.status,
      // The level is known only at the end: it is in the final `x_zg_verification` event.
      { ...headers, "x-0g-verification": "final-event" },
      () => ({
        verdict: attempt.exchange()?.record.verdict ?? "Unknown",
        level: attempt.exchange()?.level,
        provider: target.address,
        requestId,
        chatId: attempt.exchange()?.record.chatId,
      }),
      (e) => `data: ${errorBody(describeCause(e), "verification_failed", tagOf(e), { provider: target.address })}\n\n`,
    )
    if (failure !== undefined) coolDown(ctx.router, target.address, failure)
    // A stream that ended without a billed exchange while the client stayed: nothing will settle it later.
    if (settled() === undefined && !gone.signal.aborted) await unbilled(502, failure ?? new Error("no usage recorded"))
    return
  }
  throw exhausted(`model ${JSON.stringify(model)}`, attempts, refusals)
}
