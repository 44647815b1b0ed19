/**
 * The devnet's status API: what `compute-status(-testnet).0g.ai` is to the live networks (official SDK 0.9.0
 * `listServiceWithDetail`): `GET /health` → `{services: [ServiceHealthMetric]}` and `GET /models` → `{data: [model
 * cards, each with its provider]}`, over the emulated inference providers.
 *
 * Health is measured, not invented: each `/health` request probes every provider's `GET /v1/models` once (bounded by
 * a deadline) and folds the outcome into that provider's counters, as the live status API's periodic checks do.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { HttpFailure, routeListener } from "@0g-compute/core/node"
import { closeServer, listenLoopback } from "../loopback.js"
import { answerFailure, corsHeaders, sendJson as send } from "./http.js"

export interface StatusTarget {
  readonly url: string
  readonly providerAddress: string
  readonly model: string
}

interface Counters {
  total: number
  successful: number
  failed: number
  responseMs: number
  lastCheck: string
  models: ReadonlyArray<Record<string, unknown>>
}

export interface StatusApi {
  readonly url: string
  readonly stop: () => Promise<void>
}

const PROBE_TIMEOUT_MS = 2_000
const MAX_CARD_BYTES = 1_000_000

const probe = async (t: StatusTarget, c: Counters): Promise<void> => {
  const started = performance.now()
  c.total += 1
  try {
    const res = await fetch(`${t.url}/v1/models`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })
    const text = await res.text()
    if (!res.ok || text.length > MAX_CARD_BYTES) throw new Error(`status ${res.status}`)
    const body = JSON.parse(text) as { data?: unknown }
    c.models = Array.isArray(body.data)
      ? body.data.filter((m): m is Record<string, unknown> => typeof m === "object" && m !== null)
      : []
    c.successful += 1
    c.responseMs += performance.now() - started
  } catch {
    c.failed += 1
  }
  c.lastCheck = new Date().toISOString()
}

const statusOf = (c: Counters) => {
  if (c.total === 0) return "unknown"
  const uptime = (100 * c.successful) / c.total
  return uptime >= 95 ? "healthy" : uptime >= 80 ? "warning" : "critical"
}

/** Starts the status API on 127.0.0.1 over the providers `targets()` returns at each request. */
export const startStatusApi = async (
  targets: () => ReadonlyArray<StatusTarget>,
  options: { readonly port?: number } = {},
): Promise<StatusApi> => {
  const counters = new Map<string, Counters>()
  const of = (t: StatusTarget) => {
    const key = t.providerAddress.toLowerCase()
    let c = counters.get(key)
    if (c === undefined) {
      c = { total: 0, successful: 0, failed: 0, responseMs: 0, lastCheck: "", models: [] }
      counters.set(key, c)
    }
    return c
  }
  // One probe round at a time: a request arriving during a round shares it (the live API checks on a schedule).
  let round: Promise<unknown> | undefined
  const probeAll = () => {
    round ??= Promise.all(targets().map((t) => probe(t, of(t)))).finally(() => {
      round = undefined
    })
    return round
  }

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "")
    if (req.method === "OPTIONS") {
      res.writeHead(204, corsHeaders(req))
      res.end()
      return
    }
    if (req.method !== "GET") throw new HttpFailure(405, "method not allowed")
    if (path === "/health") {
      await probeAll()
      return send(req, res, 200, {
        services: targets().map((t) => {
          const c = of(t)
          return {
            serviceType: "chatbot",
            model: t.model,
            provider: t.providerAddress,
            status: statusOf(c),
            checks: {
              total: c.total,
              successful: c.successful,
              failed: c.failed,
              uptime: c.total === 0 ? 0 : Math.round((10_000 * c.successful) / c.total) / 100,
            },
            performance:
              c.successful === 0
                ? {}
                : {
                    response_time: { avg: Math.round(c.responseMs / c.successful), unit: "ms", samples: c.successful },
                  },
            lastCheck: c.lastCheck,
          }
        }),
      })
    }
    if (path === "/models") {
      await probeAll()
      const data = targets().flatMap((t) => {
        const c = of(t)
        const cards = c.models.length > 0 ? c.models : [{ id: t.model, object: "model" }]
        return cards.map((m) => ({ ...m, provider: t.providerAddress }))
      })
      return send(req, res, 200, { object: "list", data })
    }
    throw new HttpFailure(404, `${path || "/"} not found`)
  }
  const server: Server = createServer(routeListener(route, answerFailure))
  const port = await listenLoopback(server, options.port)
  let stopping: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      stopping ??= closeServer(server)
      return stopping
    },
  }
}
