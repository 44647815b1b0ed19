/**
 * The gateway's request handling: bearer auth, routing by model and priority, the spending-cap budget, failover while
 * nothing was sent to the caller, and stream relay. `serve` builds the server; server.ts resolves providers and listens.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { describeCause, formatZG } from "@0g-compute/core"
import {
  bearerOf,
  bearerSecret,
  HttpFailure,
  httpFailureOf,
  parseJsonObject,
  readBody,
  routeListener,
  secretMatches,
  sendFailure,
  sendJson,
} from "@0g-compute/core/node"
import type { Redacted } from "effect"
import type { ExchangeResult } from "../../fetch/adapter.js"
import type { InferenceRequests } from "../../requests.js"
import type { ServiceView } from "../../service-view.js"
import { makeUsageMeter } from "../../usage.js"
import {
  Budget,
  DEFAULT_MAX_TOKENS,
  invalidLimitField,
  maxCostOf,
  type Prices,
  positiveInt,
  requestedMaxTokens,
} from "./budget.js"
import {
  abortOnClientClose,
  attemptFailed,
  coolDown,
  coolOverrun,
  errorBody,
  type FailedAttempt,
  noProviderAvailable,
  postChat,
  providerFailureStatus,
  tagOf,
} from "./http.js"
import { MEDIA_GATEWAY_ROUTES, type MediaTarget, mediaRoute } from "./media.js"
import { bufferStream, passThrough, type StreamVerifyMode, sendBuffered } from "./relay.js"
import { type RoutedProvider, Router } from "./router.js"
import type { GatewayOptions, GatewayUsage } from "./server.js"

export interface Resolved {
  readonly service: ServiceView
  readonly priority: number
  readonly models: ReadonlyArray<string>
  /** What the budget reserves per token: the provider's worst case (tiers, cache writes); default on-chain prices. */
  readonly prices?: Prices
}

export interface Unlistened {
  readonly server: Server
  readonly token: Redacted.Redacted<string>
  readonly usage: () => GatewayUsage
}

/** The request handling: routing, budget, failover, stream relay. Not listening yet. */
export const serve = (
  options: GatewayOptions,
  cap: bigint | undefined,
  resolved: ReadonlyArray<Resolved>,
  fetchFor: InferenceRequests["Service"]["fetch"],
): Unlistened => {
  const token = bearerSecret(options.token, "zg-gw-")
  const meter = makeUsageMeter()
  const budget = new Budget(cap, () => meter.spent())
  const maxBody = options.maxBodyBytes ?? 32 * 1024 * 1024
  const maxBuffered = options.maxBufferedBytes ?? 32 * 1024 * 1024
  const defaultMaxTokens = options.defaultMaxTokens ?? DEFAULT_MAX_TOKENS
  const streamMode: StreamVerifyMode = options.verify ?? "pass-through"

  const routed: RoutedProvider[] = []
  const targets = new Map<string, { address: string; url: string; prices: Prices }>()
  const mediaTargets = new Map<string, MediaTarget>()
  for (const { service, priority, models: listed, prices } of resolved) {
    mediaTargets.set(service.provider.toLowerCase(), {
      address: service.provider,
      url: service.url,
      serviceType: service.serviceType,
      inputPerUnit: service.inputPrice.perToken,
      outputPerUnit: service.outputPrice.perToken,
    })
    const models = new Set([service.model, ...listed])
    routed.push({ address: service.provider, priority, models, defaultModel: service.model })
    targets.set(service.provider.toLowerCase(), {
      address: service.provider,
      url: service.url,
      prices: prices ?? { inputPerToken: service.inputPrice.perToken, outputPerToken: service.outputPrice.perToken },
    })
  }
  const router = new Router(routed, options.cooldownMs ?? 30_000)

  const usage = (): GatewayUsage => ({
    ...meter.summary(),
    spent: meter.spent(),
    spendingCap: cap,
    reserved: budget.reserved,
    overruns: budget.overruns,
    providers: router.status(Date.now()),
  })

  const capReached = (required?: bigint) =>
    new HttpFailure(
      402,
      required === undefined
        ? `spending cap reached: spent ${formatZG(meter.spent())} of ${formatZG(cap ?? 0n)} 0G`
        : `the request may cost up to ${formatZG(required)} 0G; ${formatZG(budget.remaining() ?? 0n)} 0G of the ${formatZG(cap ?? 0n)} 0G cap is free (spent ${formatZG(meter.spent())}, reserved by requests in flight ${formatZG(budget.reserved)}); lower max_tokens or wait`,
      {
        code: "SpendingCapReached",
        type: "insufficient_quota",
        extra: {
          spending_cap: formatZG(cap ?? 0n),
          spent: formatZG(meter.spent()),
          reserved: formatZG(budget.reserved),
          ...(required === undefined ? {} : { required: formatZG(required) }),
        },
      },
    )

  const chat = async (req: IncomingMessage, res: ServerResponse) => {
    if (budget.remaining() === 0n) throw capReached()
    const raw = await readBody(req, maxBody)
    const json = parseJsonObject(raw)
    const model = typeof json.model === "string" ? json.model : undefined
    // Image and audio providers never answer chats (media.ts serves their routes).
    const isMedia = (a: string) =>
      Object.values(MEDIA_GATEWAY_ROUTES).some((k) => k === mediaTargets.get(a)?.serviceType)
    const candidates = router.candidates(model, Date.now()).filter((p) => !isMedia(p.address.toLowerCase()))
    if (candidates.length === 0)
      throw new HttpFailure(404, `no provider serves model ${JSON.stringify(model)}`, { code: "ModelNotFound" })
    // With a cap the output is bounded before sending: limits must be integers, and the body sent carries both limit
    // fields and `n` equal to what is reserved (a server reading either field, or coercing strings, stays within it).
    if (cap !== undefined) {
      const bad = invalidLimitField(json)
      if (bad !== undefined)
        throw new HttpFailure(
          400,
          `'${bad}' must be a positive integer when the gateway has a spending cap (got ${JSON.stringify(json[bad])})`,
          { code: "InvalidLimit", extra: { param: bad } },
        )
    }
    const maxTokens = requestedMaxTokens(json) ?? defaultMaxTokens
    const bounded =
      cap === undefined ? {} : { max_tokens: maxTokens, max_completion_tokens: maxTokens, n: positiveInt(json.n) ?? 1 }
    // The client leaving cancels the upstream request (a billed stream is still drained by the fetch to record it).
    const gone = abortOnClientClose(res, "gateway")

    const attempts: FailedAttempt[] = []
    let unaffordable: bigint | undefined
    for (const p of candidates) {
      const target = targets.get(p.address.toLowerCase())
      if (target === undefined) continue
      const auto = model === undefined || model === "auto"
      const sent = { ...json, ...(auto ? { model: p.defaultModel } : {}), ...bounded }
      const body = auto || cap !== undefined ? Buffer.from(JSON.stringify(sent)) : raw
      const cost = maxCostOf(sent, body.length, maxTokens, target.prices)
      const reservation = budget.reserve(cost)
      if (reservation === undefined) {
        unaffordable = unaffordable === undefined || cost < unaffordable ? cost : unaffordable
        continue
      }
      let exchange: ExchangeResult | undefined
      const fetch = fetchFor(target.address, {
        onExchange: (x) => {
          // Billed but unreadable (cut off after the 200): the reserved maximum stands as the fee, not 0.
          const record = x.record.feeUnknown === true && x.record.fee < cost ? { ...x.record, fee: cost } : x.record
          meter.record(record)
          exchange = x
          if (budget.release(reservation, record.fee)) coolOverrun(router, p.address, x.record.fee, cost)
        },
      })
      let response: Response
      try {
        response = await postChat(fetch, target.url, body, gone.signal)
      } catch (e) {
        budget.release(reservation)
        if (gone.signal.aborted) return
        if (!attemptFailed(router, p.address, e, attempts))
          throw new HttpFailure(providerFailureStatus(e), describeCause(e), { code: tagOf(e), type: "provider_error" })
        continue
      }
      router.markUp(p.address)
      const requestId = response.headers.get("x-zg-request-id") ?? ""
      const chatId = response.headers.get("zg-res-key") ?? undefined
      const headers: Record<string, string> = {
        "content-type": response.headers.get("content-type") ?? "application/json",
        "x-zg-provider": p.address,
        "x-zg-request-id": requestId,
        ...(chatId === undefined ? {} : { "x-zg-chat-id": chatId }),
      }
      const verdict = () => ({
        // The fetch records the exchange before it delivers a stream's last event, so this is known by then.
        verdict: exchange?.record.verdict ?? "Unknown",
        level: exchange?.level,
        provider: p.address,
        requestId,
        chatId: chatId ?? exchange?.record.chatId,
      })
      if (response.body === null) {
        budget.release(reservation)
        sendJson(res, response.status, "", headers)
        return
      }
      if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
        // Non-stream: the fetch verified (and recorded) before resolving. A streamed request answered without SSE is
        // read here, under the same limits: a provider failure (502, failover), not ours.
        let bytes: Buffer
        try {
          bytes = Buffer.from(await response.arrayBuffer())
        } catch (e) {
          budget.release(reservation)
          if (gone.signal.aborted) return
          if (attemptFailed(router, p.address, e, attempts, true)) continue
          throw new HttpFailure(502, describeCause(e), { code: tagOf(e), type: "provider_error", extra: { attempts } })
        }
        budget.release(reservation)
        res.writeHead(response.status, {
          ...headers,
          "x-zg-verified": response.headers.get("x-zg-verified") ?? "Verified",
          "x-zg-verification-level": response.headers.get("x-zg-verification-level") ?? "bytes-bound",
        })
        res.end(bytes)
        return
      }
      // Streams: the reservation ends when the fetch records the exchange (at the stream's end, even if cancelled).
      if (streamMode === "buffer") {
        const held = await bufferStream(response.body, res, maxBuffered)
        if (held.ok) return sendBuffered(res, response.status, headers, held.chunks, verdict())
        if (gone.signal.aborted) return
        const e = held.error
        if (attemptFailed(router, p.address, e, attempts, true)) continue
        throw new HttpFailure(502, describeCause(e), {
          code: tagOf(e),
          type: "verification_failed",
          extra: { attempts },
        })
      }
      const failure = await passThrough(response.body, res, response.status, headers, verdict, (e) => {
        return `data: ${errorBody(describeCause(e), "verification_failed", tagOf(e), { provider: p.address })}\n\n`
      })
      if (failure !== undefined) coolDown(router, p.address, failure)
      return
    }
    if (attempts.length === 0 && unaffordable !== undefined) throw capReached(unaffordable)
    throw noProviderAvailable(`model ${JSON.stringify(model)}`, attempts)
  }

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://gateway").pathname.replace(/\/+$/, "")
    if (path === "/health" && req.method === "GET") return sendJson(res, 200, { status: "ok" })
    if (!secretMatches(bearerOf(req), token))
      throw new HttpFailure(401, "missing or wrong bearer token", {
        code: "Unauthorized",
        type: "authentication_error",
      })
    if (path === "/v1/chat/completions" && req.method === "POST") return chat(req, res)
    const kind = MEDIA_GATEWAY_ROUTES[path]
    if (kind !== undefined && req.method === "POST") {
      const ctx = { router, targets: mediaTargets, budget, meter, fetchFor, maxBody, capReached }
      return mediaRoute(ctx, kind, req, res)
    }
    if (path === "/v1/models" && req.method === "GET") {
      const data = router
        .models()
        .map((m) => ({ id: m.id, object: "model", created: 0, owned_by: "0g-compute", providers: m.providers }))
      return sendJson(res, 200, { object: "list", data })
    }
    if (path === "/v1/usage" && req.method === "GET") return sendJson(res, 200, usage())
    throw new HttpFailure(404, `${req.method} ${path} is not a gateway route`, { code: "NotFound" })
  }

  const server: Server = createServer(
    routeListener(route, (e, _req, res) =>
      sendFailure(
        res,
        httpFailureOf(e) ?? new HttpFailure(500, describeCause(e), { code: tagOf(e), type: "server_error" }),
      ),
    ),
  )
  return { server, token, usage }
}
