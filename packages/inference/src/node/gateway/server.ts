/**
 * The local gateway: an OpenAI-compatible HTTP server (default 127.0.0.1, bearer token) in front of several
 * providers. Each request goes through the verifying fetch of the inference client; the router picks providers by
 * priority and fails over on provider failures (unreachable, 5xx, failed verification, admission) as long as nothing
 * was sent to the caller yet. A spending cap refuses new requests once the gateway's spend reaches it.
 *
 * Routes: `POST /v1/chat/completions`, `GET /v1/models`, `GET /v1/usage` (the usage report), `GET /health`.
 * Errors are OpenAI-shaped: `{"error": {"message", "type", "code": <our _tag>}}`. A stream whose verification fails
 * ends with such an error event instead of `data: [DONE]`.
 */
import { randomBytes, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { formatZG, parseZGResult } from "@0g-compute/core"
import { Redacted, Result } from "effect"
import type { InferenceClient } from "../../facade.js"
import type { InferenceFetch } from "../../fetch/adapter.js"
import { makeUsageMeter, type UsageSummary } from "../../usage.js"
import { type ProviderHealth, type RoutedProvider, Router } from "./router.js"

export interface GatewayProvider {
  readonly address: string
  /** Lower is preferred. Default: the position in the list. */
  readonly priority?: number
}

export interface GatewayOptions {
  readonly client: InferenceClient
  readonly providers: ReadonlyArray<string | GatewayProvider>
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Default 0 (a free port). */
  readonly port?: number
  /** The bearer token clients must send; default: 32 random bytes. */
  readonly token?: Redacted.Redacted<string> | string
  /** Refuse new requests once the gateway's spend reaches this (neuron, or a decimal 0G string). */
  readonly spendingCap?: bigint | string
  /** How long a failed provider is tried only after healthy ones. Default 30 000 ms. */
  readonly cooldownMs?: number
  /** Largest request body accepted. Default 32 MiB (the broker's limit). */
  readonly maxBodyBytes?: number
}

export interface GatewayUsage extends UsageSummary {
  readonly spent: bigint
  readonly spendingCap: bigint | undefined
  readonly providers: ReadonlyArray<ProviderHealth>
}

export interface Gateway {
  /** `http://127.0.0.1:<port>`; the OpenAI base URL is `${url}/v1`. */
  readonly url: string
  readonly token: Redacted.Redacted<string>
  readonly usage: () => GatewayUsage
  readonly stop: () => Promise<void>
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type = "invalid_request_error",
    readonly attempts?: ReadonlyArray<{ readonly provider: string; readonly code: string; readonly message: string }>,
  ) {
    super(message)
  }
}

const FAILOVER_TAGS = new Set([
  "ProviderUnreachable",
  "ProviderStreamFailed",
  "ResponseTampered",
  "RequestAltered",
  "WrongResponseSigner",
  "ResponseSignatureMissing",
  "MalformedResponseSignature",
  "ResponseBindingUnknown",
  "InsufficientSubAccountBalance",
  "SubAccountMissing",
  "ProviderNotAcknowledged",
  "ServiceNotVerifiable",
  "ServiceNotFound",
  "TokenExpired",
  "TokenRevoked",
  "TokenRejected",
  "MalformedProviderResponse",
])

const tagOf = (e: unknown): string => (e as { _tag?: unknown })?._tag?.toString() ?? "Error"
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))
const failsOver = (e: unknown) => {
  const tag = tagOf(e)
  if (tag === "ProviderHttpError") {
    const status = (e as { status: number }).status
    return status >= 500 || status === 429 || status === 401 || status === 403
  }
  return FAILOVER_TAGS.has(tag)
}

const errorBody = (message: string, type: string, code: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ error: { message, type, code, param: null, ...extra } })

const sendJson = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(body)
}

const readBody = (req: IncomingMessage, max: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let size = 0
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > max) {
        reject(new HttpFailure(413, "RequestTooLarge", `request body exceeds ${max} bytes`))
        req.destroy()
      } else parts.push(c)
    })
    req.on("end", () => resolve(Buffer.concat(parts)))
    req.on("error", reject)
  })

const parseCap = (cap: bigint | string | undefined): bigint | undefined => {
  if (cap === undefined || typeof cap === "bigint") return cap
  const r = parseZGResult(cap)
  if (Result.isFailure(r)) throw r.failure
  return r.success
}

const jsonReplacer = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v)

export const startGateway = async (options: GatewayOptions): Promise<Gateway> => {
  const { client } = options
  const cap = parseCap(options.spendingCap)
  const token =
    options.token === undefined
      ? Redacted.make(`zg-gw-${randomBytes(32).toString("hex")}`)
      : typeof options.token === "string"
        ? Redacted.make(options.token)
        : options.token
  const expected = Buffer.from(`Bearer ${Redacted.value(token)}`)
  const meter = makeUsageMeter()
  const maxBody = options.maxBodyBytes ?? 32 * 1024 * 1024

  // Resolve every provider once: its URL, its models, a verifying fetch that records into the gateway's meter.
  const routed: RoutedProvider[] = []
  const fetches = new Map<string, { fetch: InferenceFetch; url: string }>()
  for (const [i, entry] of options.providers.entries()) {
    const spec = typeof entry === "string" ? { address: entry } : entry
    const service = await client.getService(spec.address)
    const catalog = await client.listModels(service.provider).catch(() => undefined)
    const models = new Set([service.model, ...(catalog?.models.map((m) => m.id) ?? [])])
    routed.push({ address: service.provider, priority: spec.priority ?? i, models, defaultModel: service.model })
    const fetch = client.fetch(service.provider, { onExchange: (x) => meter.record(x.record) })
    fetches.set(service.provider.toLowerCase(), { fetch, url: service.url })
  }
  const router = new Router(routed, options.cooldownMs ?? 30_000)

  const authorized = (req: IncomingMessage) => {
    const got = Buffer.from(req.headers.authorization ?? "")
    return got.length === expected.length && timingSafeEqual(got, expected)
  }

  const usage = (): GatewayUsage => ({
    ...meter.summary(),
    spent: meter.spent(),
    spendingCap: cap,
    providers: router.status(Date.now()),
  })

  const chat = async (req: IncomingMessage, res: ServerResponse) => {
    if (cap !== undefined && meter.spent() >= cap) {
      throw new HttpFailure(
        402,
        "SpendingCapReached",
        `spending cap reached: spent ${formatZG(meter.spent())} of ${formatZG(cap)} 0G`,
        "insufficient_quota",
      )
    }
    const raw = await readBody(req, maxBody)
    let json: Record<string, unknown>
    try {
      json = JSON.parse(raw.toString("utf8")) as Record<string, unknown>
      if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error("not an object")
    } catch {
      throw new HttpFailure(400, "InvalidJson", "the request body is not a JSON object")
    }
    const model = typeof json.model === "string" ? json.model : undefined
    const candidates = router.candidates(model, Date.now())
    if (candidates.length === 0)
      throw new HttpFailure(404, "ModelNotFound", `no provider serves model ${JSON.stringify(model)}`)

    const attempts: Array<{ provider: string; code: string; message: string }> = []
    for (const p of candidates) {
      const target = fetches.get(p.address.toLowerCase())
      if (target === undefined) continue
      const body = model === undefined || model === "auto" ? JSON.stringify({ ...json, model: p.defaultModel }) : raw
      let response: Response
      try {
        response = await target.fetch(`${target.url}/v1/proxy/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: new Uint8Array(typeof body === "string" ? Buffer.from(body) : body),
        })
      } catch (e) {
        attempts.push({ provider: p.address, code: tagOf(e), message: messageOf(e) })
        if (!failsOver(e)) {
          const status = tagOf(e) === "ProviderHttpError" ? (e as { status: number }).status : 502
          throw new HttpFailure(status, tagOf(e), messageOf(e), "provider_error")
        }
        router.markDown(p.address, Date.now(), `${tagOf(e)}: ${messageOf(e)}`)
        continue
      }
      router.markUp(p.address)
      const headers: Record<string, string> = {
        "content-type": response.headers.get("content-type") ?? "application/json",
        "x-zg-provider": p.address,
        "x-zg-request-id": response.headers.get("x-zg-request-id") ?? "",
      }
      const chatId = response.headers.get("zg-res-key")
      if (chatId !== null) headers["x-zg-chat-id"] = chatId
      if (response.body === null) {
        sendJson(res, response.status, "", headers)
        return
      }
      if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
        const bytes = Buffer.from(await response.arrayBuffer())
        res.writeHead(response.status, {
          ...headers,
          "x-zg-verified": response.headers.get("x-zg-verified") ?? "Verified",
        })
        res.end(bytes)
        return
      }
      // Stream: from here on no failover; a failure becomes an error event in place of [DONE].
      res.writeHead(response.status, { ...headers, "cache-control": "no-cache", "x-accel-buffering": "no" })
      const reader = response.body.getReader()
      res.on("close", () => {
        if (!res.writableFinished) void reader.cancel().catch(() => undefined)
      })
      try {
        for (let r = await reader.read(); !r.done; r = await reader.read()) res.write(r.value)
      } catch (e) {
        router.markDown(p.address, Date.now(), `${tagOf(e)}: ${messageOf(e)}`)
        res.write(`data: ${errorBody(messageOf(e), "verification_failed", tagOf(e), { provider: p.address })}\n\n`)
      }
      res.end()
      return
    }
    throw new HttpFailure(
      502,
      "NoProviderAvailable",
      `every provider failed for model ${JSON.stringify(model)}`,
      "provider_error",
      attempts,
    )
  }

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://gateway").pathname.replace(/\/+$/, "")
    if (path === "/health" && req.method === "GET") return sendJson(res, 200, JSON.stringify({ status: "ok" }))
    if (!authorized(req))
      throw new HttpFailure(401, "Unauthorized", "missing or wrong bearer token", "authentication_error")
    if (path === "/v1/chat/completions" && req.method === "POST") return chat(req, res)
    if (path === "/v1/models" && req.method === "GET") {
      const data = router
        .models()
        .map((m) => ({ id: m.id, object: "model", created: 0, owned_by: "0g-compute", providers: m.providers }))
      return sendJson(res, 200, JSON.stringify({ object: "list", data }))
    }
    if (path === "/v1/usage" && req.method === "GET") return sendJson(res, 200, JSON.stringify(usage(), jsonReplacer))
    throw new HttpFailure(404, "NotFound", `${req.method} ${path} is not a gateway route`)
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.end()
        return
      }
      const f = e instanceof HttpFailure ? e : new HttpFailure(500, tagOf(e), messageOf(e), "server_error")
      sendJson(
        res,
        f.status,
        errorBody(f.message, f.type, f.code, f.attempts === undefined ? {} : { attempts: f.attempts }),
      )
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address
  let stopping: Promise<void> | undefined
  return {
    url: `http://${host}:${address.port}`,
    token,
    usage,
    stop: () => {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return stopping
    },
  }
}
