/**
 * The provider's HTTP routes (inference-protocol.md §4, §13). Every error is broker-shaped JSON `{"error": …}`.
 */
import { randomUUID } from "node:crypto"
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http"
import { isRecord } from "@0g-compute/core"
import { HttpFailure, readBody, routeListener } from "@0g-compute/core/node"
import { bodyHashHex } from "@0g-compute/crypto"
import type { Redacted } from "effect"
import type { Wallet } from "ethers"
import { admit, parseSession, verifySession } from "./auth.js"
import { extractUsage, type FeeLedger } from "./billing.js"
import {
  type BrokerMode,
  captureRaw,
  clientFacing,
  goMarshal,
  noisy,
  rewriteRequest,
  routingFields,
  sendsResKey,
  signedText,
} from "./broker2026.js"
import type { ChainView } from "./chain.js"
import { serveHostile } from "./hostile.js"
import { ALLOWED_REQUEST_HEADERS, answerFailure, corsHeaders, isLoopback, MAX_BODY_BYTES, sendJson } from "./http.js"
import { isLoraModel, type LoraAdapters, serveLora } from "./lora.js"
import { type EmulatedServiceType, MEDIA_ROUTES, serveMedia } from "./media.js"
import { offlineCompletion } from "./model.js"
import { billingPrices, brokerCharge, type EmulatedBilling, pricingCard, servedModels } from "./pricing.js"
import { PromptCache } from "./prompt-cache.js"
import { makeQuote, modelsList } from "./quote.js"
import { relay } from "./relay.js"
import { type SignatureCache, signResponse } from "./signatures.js"
import type { FaultSwitches, InferenceProviderEvent, SettlementReport } from "./types.js"
import { upstreamCompletion } from "./upstream.js"

export interface ServerContext {
  readonly provider: string
  readonly teeSigner: string
  readonly model: string
  /** Prices registered at start: shown by /v1/models when the chain has no service. */
  readonly inputPrice: bigint
  readonly outputPrice: bigint
  readonly tee: Wallet
  readonly chain: ChainView
  readonly ledger: FeeLedger
  readonly signatures: SignatureCache
  readonly faults: FaultSwitches
  readonly upstream?: string | undefined
  readonly upstreamApiKey?: Redacted.Redacted<string> | undefined
  readonly settleNow: () => Promise<SettlementReport>
  readonly onEvent?: ((event: InferenceProviderEvent) => void) | undefined
  /** The 2026 broker's behaviours and provider type (broker2026.ts); absent = the late-2025 broker. */
  readonly broker?: BrokerMode | undefined
  /** Tiers, cache billing, per-model prices (pricing.ts); absent = flat on-chain prices. */
  readonly billing?: EmulatedBilling | undefined
  /** LoRA adapters of fine-tuned tasks (lora.ts). */
  readonly lora?: LoraAdapters | undefined
  /** The registered service type (media.ts); absent = "chatbot". */
  readonly serviceType?: EmulatedServiceType | undefined
}

/** Per-server state the context does not carry. */
interface Local {
  readonly cache: PromptCache | undefined
}

/** Headers a browser sets itself (never preflighted) plus the broker's allowed request headers. */
const BROWSER_SET = new Set([
  "host",
  "connection",
  "content-length",
  "user-agent",
  "accept-encoding",
  "accept-language",
  "content-language",
  "referer",
  "keep-alive",
  "transfer-encoding",
  ...ALLOWED_REQUEST_HEADERS.toLowerCase().split(", "),
])

/** The first request header a browser's CORS preflight would ask the broker for and be refused, if any. */
const unlistedHeader = (req: IncomingMessage): string | undefined =>
  Object.keys(req.headers).find((h) => !BROWSER_SET.has(h) && !h.startsWith("sec-"))

const encoder = new TextEncoder()

/** `POST /v1/proxy/chat/completions`: authenticate, admit, forward, relay, bill, sign. */
const chat = async (ctx: ServerContext, local: Local, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const raw = await readBody(req, MAX_BODY_BYTES)
  const now = Date.now()
  const broker = ctx.broker
  const signed = parseSession(req.headers.authorization, ctx.provider, now, broker !== undefined)
  const [account, service] = await Promise.all([ctx.chain.account(signed.token.address), ctx.chain.service()])
  const user = verifySession(signed, ctx.provider, account, now)
  admit(user, account, service, ctx.ledger.unsettled(user))
  if (service === undefined) throw new HttpFailure(503, "service not registered") // admit already refused; for the type
  const hostile = ctx.faults.current().hostile
  if (hostile !== undefined && hostile !== "stallSignatureBody")
    return serveHostile(ctx.faults.hostile, hostile, req, res)

  let json: unknown
  try {
    json = JSON.parse(Buffer.from(raw).toString("utf8"))
  } catch {
    throw new HttpFailure(400, "invalid request body: not JSON")
  }
  if (!isRecord(json)) throw new HttpFailure(400, "invalid request body: not a JSON object")
  const stream = json.stream === true
  const requested = typeof json.model === "string" ? json.model : ctx.model
  const adapter = isLoraModel(requested)
  // CheckLoRAOwnership: refused before anything is forwarded or billed. An adapter bills at the base model's prices.
  if (adapter) {
    if (ctx.lora === undefined) throw new HttpFailure(503, "lora unavailable: LoRA serving not enabled")
    ctx.lora.admit(requested, user)
  }
  let forwarded: Uint8Array = raw
  let upstreamRequest: Record<string, unknown> = json
  const opts = json.stream_options
  if (broker !== undefined) {
    // The 2026 broker's rewrites (broker2026.ts); the upstream answers the rewritten request. RewriteLoRARequest
    // runs before the model checks: `model` becomes the base model, `lora_adapter_name` the adapter (re-encoded).
    const lora = adapter ? { ...json, model: ctx.model, lora_adapter_name: requested } : undefined
    const input = lora === undefined ? raw : encoder.encode(goMarshal(lora, true))
    const rewritten = rewriteRequest(broker, ctx.model, input, lora ?? json)
    forwarded = rewritten.forwarded
    upstreamRequest = rewritten.json
  } else if (stream && !(isRecord(opts) && opts.include_usage === true)) {
    // The broker forces usage into streams and re-serialises; the signed request hash covers these bytes.
    json.stream_options = { ...(isRecord(opts) ? opts : {}), include_usage: true }
    forwarded = encoder.encode(JSON.stringify(json))
  }

  const chatKey = randomUUID()
  const faults = ctx.faults.current()
  const served = servedModels(ctx.billing, ctx.model)
  const prices = billingPrices(ctx.billing, adapter ? ctx.model : requested, service)
  let source =
    ctx.upstream === undefined
      ? offlineCompletion(upstreamRequest, broker?.upstreamModel ?? ctx.model, chatKey, {
          alsoServes: (m) => served.includes(m) || m === (adapter ? requested : undefined),
          cache: local.cache,
          completionTokens: faults.reportCompletionTokens,
          shadowUsage: faults.shadowUsage,
          usageKey: faults.usageKey,
          lateUsage: faults.lateUsage,
          anthropicShape: faults.anthropicShape,
        })
      : await upstreamCompletion(
          ctx.upstream,
          forwarded,
          broker === undefined ? req.headers : { ...req.headers, "accept-encoding": "identity" },
          ctx.upstreamApiKey,
        )
  if (faults.upstreamStatus !== undefined && source.status === 200)
    source = { ...source, status: faults.upstreamStatus }
  // The 2026 broker bills the upstream's raw bytes and signs the sanitized copy it sends.
  const upstreamBytes =
    broker === undefined ? undefined : captureRaw(broker.noisyUpstream ? noisy(source, stream) : source)
  if (upstreamBytes !== undefined) source = clientFacing(upstreamBytes.source, chatKey, stream)
  const requestHash = bodyHashHex(forwarded)
  await relay(source, {
    req,
    res,
    chatKey,
    provider: ctx.provider,
    stream,
    faults,
    resKey: broker === undefined || sendsResKey(broker),
    finish: async (body, responseHash, contentEncoding) => {
      const fees = brokerCharge(extractUsage(upstreamBytes?.bytes() ?? body, stream, contentEncoding), prices)
      ctx.ledger.add({ requestHash: chatKey, user, ...fees })
      const forged = faults.forgeRoutingIdentity
      const mode =
        broker === undefined
          ? broker
          : faults.omitRoutingProof === true
            ? { ...broker, providerType: "decentralized" as const }
            : forged === undefined
              ? broker
              : { ...broker, providerIdentity: forged }
      const text = mode === undefined ? `${requestHash}:${responseHash}` : signedText(mode, requestHash, responseHash)
      if (text !== undefined && faults.dropSignature !== true) {
        const payload = await signResponse(ctx.tee, text, faults.wrongSigner === true)
        ctx.signatures.put(chatKey, { ...payload, ...(mode === undefined ? {} : routingFields(mode)) })
      }
      ctx.onEvent?.({ _tag: "Billed", chatId: chatKey, user, fee: fees.fee })
    },
  })
}

/** `GET /v1/user/{addr}/unsettledfee`: session required; the path address must be the token's. */
const unsettledFee = async (ctx: ServerContext, req: IncomingMessage, res: ServerResponse, addr: string) => {
  const now = Date.now()
  const signed = parseSession(req.headers.authorization, ctx.provider, now)
  const user = verifySession(signed, ctx.provider, await ctx.chain.account(signed.token.address), now)
  if (addr.toLowerCase() !== user.toLowerCase()) {
    throw new HttpFailure(403, `validate session: path address ${addr} does not match the session token's ${user}`)
  }
  const claimed = ctx.ledger.unsettled(user) + (ctx.faults.current().inflateUnsettledFee ?? 0n)
  sendJson(req, res, 200, { userAddress: user, unsettledFee: claimed.toString() })
}

const proxy = async (ctx: ServerContext, local: Local, req: IncomingMessage, res: ServerResponse, rest: string) => {
  // Derive the target path as the broker does: collapse a leading /v1, trim a trailing /.
  const target = (rest.startsWith("/v1/") ? rest.slice(3) : rest).replace(/\/+$/, "")
  if (target === "/chat/completions") {
    if (req.method !== "POST") throw new HttpFailure(405, "method not allowed: use POST")
    const type = ctx.serviceType ?? "chatbot"
    if (type !== "chatbot") throw new HttpFailure(400, `this provider serves ${type}; the route is for chatbot`)
    return chat(ctx, local, req, res)
  }
  const media = MEDIA_ROUTES[target]
  if (media !== undefined) return serveMedia(ctx, req, res, media)
  const sig = /^\/signature\/([^/]+)$/.exec(target)
  if (sig !== null && req.method === "GET") {
    if (ctx.faults.current().hostile === "stallSignatureBody") {
      return serveHostile(ctx.faults.hostile, "stallSignatureBody", req, res)
    }
    const chatId = decodeURIComponent(sig[1] ?? "").toLowerCase()
    const payload = ctx.signatures.get(chatId)
    // The 2026 broker answers a miss through errors.Response: 400, not 404.
    if (payload === undefined)
      throw new HttpFailure(
        ctx.broker === undefined ? 404 : 400,
        `chat_id_not_found: no signature for chat id ${chatId}`,
      )
    return sendJson(req, res, 200, payload)
  }
  throw new HttpFailure(400, `${target || "/"} endpoint not supported`)
}

const route = async (ctx: ServerContext, local: Local, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const path = new URL(req.url ?? "/", "http://localhost").pathname
  const method = req.method ?? "GET"
  if (method === "OPTIONS") {
    res.writeHead(204, corsHeaders(req))
    res.end()
    return
  }
  if (path === "/v1/proxy" || path.startsWith("/v1/proxy/")) {
    const refused = ctx.faults.current().corsPreflight === true ? unlistedHeader(req) : undefined
    if (refused !== undefined) throw new HttpFailure(403, `CORS: request header ${refused} is not allowed`)
    return proxy(ctx, local, req, res, path.slice("/v1/proxy".length))
  }
  if (path.startsWith("/v1/lora/")) {
    if (ctx.lora === undefined) throw new HttpFailure(503, "LoRA serving not enabled")
    return serveLora(ctx.lora, req, res, path.slice("/v1/lora".length))
  }
  if (path === "/v1/quote" && method === "GET") {
    return sendJson(req, res, 200, makeQuote({ teeSigner: ctx.teeSigner, provider: ctx.provider, model: ctx.model }))
  }
  if (path === "/v1/quote/verify/gpu" && method === "POST") {
    await readBody(req, MAX_BODY_BYTES)
    return sendJson(req, res, 200, { devnet: true, verified: false, reason: "a devnet provider has no GPU evidence" })
  }
  if (path === "/v1/models" && method === "GET") {
    const service = await ctx.chain.service()
    // Named fields, not a spread: an ethers Result keeps its names behind a proxy.
    const inputPrice = service?.inputPrice ?? ctx.inputPrice
    const outputPrice = service?.outputPrice ?? ctx.outputPrice
    const list = modelsList({ model: ctx.model, provider: ctx.provider, inputPrice, outputPrice })
    if (ctx.billing === undefined) return sendJson(req, res, 200, list)
    // Priced as billed: one card per served model with its tiers and cache prices (models.go GetModels).
    const template = (list.data as ReadonlyArray<Record<string, unknown>>)[0] ?? {}
    const data = servedModels(ctx.billing, ctx.model).map((id) => ({
      ...template,
      id,
      canonical_id: id,
      pricing: pricingCard(billingPrices(ctx.billing, id, { inputPrice, outputPrice })),
    }))
    return sendJson(req, res, 200, { ...list, data })
  }
  const fee = /^\/v1\/user\/([^/]+)\/unsettledfee\/?$/.exec(path)
  if (fee !== null && method === "GET") return unsettledFee(ctx, req, res, decodeURIComponent(fee[1] ?? ""))
  if (path === "/admin/settle" && method === "POST") {
    if (!isLoopback(req)) throw new HttpFailure(403, "admin routes are loopback-only")
    return sendJson(req, res, 200, await ctx.settleNow())
  }
  throw new HttpFailure(404, `${path} not found`)
}

export const makeRequestListener = (ctx: ServerContext): RequestListener => {
  const b = ctx.billing
  const cacheBilled = b?.cacheTokenBilling !== undefined || (b?.modelPricing ?? []).some((m) => m.cacheTokenBilling)
  const local: Local = { cache: cacheBilled ? new PromptCache() : undefined }
  const report = (e: unknown, req: IncomingMessage) =>
    ctx.onEvent?.({ _tag: "RequestFailed", method: req.method ?? "", path: req.url ?? "", error: e })
  return routeListener(
    (req, res) => route(ctx, local, req, res),
    // The 2026 broker answers session failures with 400 (errors.Response), not 401.
    (e, req, res) => answerFailure(e, req, res, ctx.broker === undefined ? 401 : 400) && report(e, req),
    report,
  )
}
