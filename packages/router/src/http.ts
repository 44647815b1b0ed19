/**
 * The router's HTTP surface: `/v1/chat/completions`, `/v1/models` and the image and audio routes for virtual keys,
 * `/admin/*` for the admin token, `/health`. Typed errors become OpenAI-shaped error bodies with our `_tag` as `code`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { describeCause, formatZG, runFacade } from "@0g-compute/core"
import {
  bearerOf,
  HttpFailure,
  httpFailureOf,
  readBody,
  readJsonObject,
  routeListener,
  secretMatches,
  sendFailure,
  sendJson,
} from "@0g-compute/core/node"
import { MEDIA_GATEWAY_ROUTES, tagOf } from "@0g-compute/inference/node"
import { Redacted } from "effect"
import { keyParam, limitParam, parseCreateKey } from "./admin-input.js"
import { type ChatContext, chat } from "./chat.js"
import type { KeyInfo, KeysShape } from "./keys.js"
import { keyJson } from "./keys.js"
import { media } from "./media.js"
import type { LoggedRequest } from "./spend.js"
import { type DashboardData, dashboardPage, loginPage, Sessions } from "./ui.js"

const STATUS: Record<string, number> = {
  KeyRejected: 401,
  KeyScopeDenied: 403,
  KeyBudgetExceeded: 402,
  KeyRateLimited: 429,
  KeyNotFound: 404,
  InvalidKeyOptions: 400,
  InvalidAmount: 400,
  DatabaseFailed: 503,
}
const TYPE: Record<number, string> = {
  401: "authentication_error",
  402: "insufficient_quota",
  403: "permission_error",
  429: "rate_limit_error",
  503: "server_error",
}

/** Fields a program can act on, as JSON (money as decimal 0G). */
const fieldsOf = (e: unknown): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(e as object)) {
    if (k === "_tag" || k === "cause" || k === "stack") continue
    out[k] = typeof v === "bigint" ? formatZG(v) : v
  }
  return out
}

export const requestJson = (r: LoggedRequest) => ({
  id: r.id,
  at: new Date(r.at).toISOString(),
  key_id: r.keyId,
  provider: r.provider,
  model: r.model,
  stream: r.stream,
  prompt_tokens: r.promptTokens,
  completion_tokens: r.completionTokens,
  fee: formatZG(r.fee),
  reserved: formatZG(r.reserved),
  verification: r.verification ?? null,
  verdict: r.verdict,
  latency_ms: r.latencyMs,
  status: r.status,
  error: r.error ?? null,
  chat_id: r.chatId ?? null,
})

export interface HttpDeps {
  readonly keys: KeysShape
  readonly chat: ChatContext
  readonly adminToken: Redacted.Redacted<string>
  readonly models: (key: KeyInfo) => unknown
  readonly usage: () => Promise<unknown>
  readonly dashboard: () => Promise<DashboardData>
  /** Who holds the funding lock and the recent funding actions. */
  readonly funding: (limit: number) => Promise<unknown>
}

export const makeServer = (deps: HttpDeps): Server => {
  const isAdmin = (req: IncomingMessage) => secretMatches(bearerOf(req), deps.adminToken)
  const sessions = new Sessions()
  const html = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      ...headers,
    })
    res.end(body)
  }
  const ui = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    if (path === "/ui/login" && req.method === "POST") {
      const form = new URLSearchParams((await readBody(req, 8 * 1024)).toString("utf8"))
      if (!secretMatches(form.get("token") ?? undefined, deps.adminToken)) return html(res, 401, loginPage(true))
      const cookie = `zgr_ui=${sessions.create()}; HttpOnly; SameSite=Strict; Path=/ui`
      res.writeHead(303, { location: "/ui", "set-cookie": cookie })
      return res.end()
    }
    if (path === "/ui" && req.method === "GET") {
      if (!isAdmin(req) && !sessions.valid(req.headers.cookie)) return html(res, 401, loginPage(false))
      return html(res, 200, dashboardPage(await deps.dashboard()))
    }
    throw new HttpFailure(404, `${req.method} ${path} is not a dashboard route`, { code: "NotFound" })
  }

  const adminRoute = async (req: IncomingMessage, res: ServerResponse, path: string, url: URL) => {
    if (!isAdmin(req))
      throw new HttpFailure(401, "missing or wrong admin token", { code: "Unauthorized", type: "authentication_error" })
    if (path === "/admin/keys" && req.method === "GET")
      return sendJson(res, 200, { data: (await runFacade(deps.keys.list())).map(keyJson) })
    if (path === "/admin/keys" && req.method === "POST") {
      const created = await runFacade(deps.keys.create(parseCreateKey(await readJsonObject(req, 64 * 1024))))
      return sendJson(res, 201, { key: keyJson(created.key), secret: Redacted.value(created.secret) })
    }
    const m = /^\/admin\/keys\/([\w-]+)$/.exec(path)
    if (m?.[1] !== undefined && req.method === "DELETE")
      return sendJson(res, 200, { key: keyJson(await runFacade(deps.keys.revoke(m[1]))) })
    if (m?.[1] !== undefined && req.method === "GET")
      return sendJson(res, 200, { key: keyJson(await runFacade(deps.keys.get(m[1]))) })
    if (path === "/admin/usage" && req.method === "GET") return sendJson(res, 200, await deps.usage())
    if (path === "/admin/funding" && req.method === "GET")
      return sendJson(res, 200, await deps.funding(limitParam(url, 50, 500)))
    if (path === "/admin/requests" && req.method === "GET") {
      const limit = limitParam(url, 100, 1000)
      const keyId = keyParam(url)
      const rows = await runFacade(deps.chat.spend.recent({ limit, ...(keyId === undefined ? {} : { keyId }) }))
      return sendJson(res, 200, { data: rows.map(requestJson) })
    }
    throw new HttpFailure(404, `${req.method} ${path} is not an admin route`, { code: "NotFound" })
  }

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://router")
    const path = url.pathname.replace(/\/+$/, "")
    if (path === "/health" && req.method === "GET") return sendJson(res, 200, { status: "ok" })
    if (path.startsWith("/admin/")) return adminRoute(req, res, path, url)
    if (path === "/ui" || path.startsWith("/ui/")) return ui(req, res, path)
    // Routes that reserve before sending may authenticate from the cache: the reservation re-checks revocation.
    const kind = MEDIA_GATEWAY_ROUTES[path]
    const reserves = req.method === "POST" && (path === "/v1/chat/completions" || kind !== undefined)
    const key = await runFacade(deps.keys.authenticate(bearerOf(req), { cached: reserves }))
    if (path === "/v1/chat/completions" && req.method === "POST") return chat(deps.chat, key, req, res)
    if (path === "/v1/models" && req.method === "GET") return sendJson(res, 200, deps.models(key))
    if (kind !== undefined && req.method === "POST") return media(deps.chat, key, kind, path, req, res)
    throw new HttpFailure(404, `${req.method} ${path} is not a router route`, { code: "NotFound" })
  }

  /** Our failures as they are; a typed error with its tag as `code` and its fields (money in 0G) beside it. */
  const answer = (e: unknown, _req: IncomingMessage, res: ServerResponse) => {
    const failure = httpFailureOf(e)
    if (failure !== undefined) return sendFailure(res, failure)
    const tag = tagOf(e)
    const status = STATUS[tag] ?? 500
    const type = TYPE[status] ?? "invalid_request_error"
    const retry = tag === "KeyRateLimited" ? { "retry-after": String((e as { retryAfter: number }).retryAfter) } : {}
    sendFailure(res, new HttpFailure(status, describeCause(e), { code: tag, type, extra: fieldsOf(e) }), retry)
  }

  return createServer(routeListener(route, answer))
}
