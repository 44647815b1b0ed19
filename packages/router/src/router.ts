/**
 * The router: migrate the database, reconcile reservations a crashed run left open, resolve the providers (URL, models,
 * on-chain prices), then listen. `makeRouter` is the Effect (scoped: the server stops when the scope closes);
 * `startRouter` is its Promise face over an `InferenceClient`.
 */
import { randomBytes } from "node:crypto"
import type { AddressInfo } from "node:net"
import { formatZG } from "@0g-compute/core"
import { bearerSecret } from "@0g-compute/core/node"
import {
  DEFAULT_SERVICE_REFRESH_MS,
  Directory,
  Funding,
  type InferenceClient,
  InferenceRequests,
  type LookupError,
  planFromCatalog,
  worstCasePrices,
} from "@0g-compute/inference"
import { DEFAULT_MAX_TOKENS, type RoutedProvider, Router } from "@0g-compute/inference/node"
import { Effect, Exit, Layer, Option, type Redacted, Scope } from "effect"
import { Database, type DatabaseOptions } from "./db.js"
import { type DatabaseFailed, RouterListenFailed } from "./errors.js"
import {
  DEFAULT_FUNDING_INTERVAL_MS,
  FundingLog,
  fundingJson,
  type RouterFundingOptions,
  startFundingLeader,
} from "./funding.js"
import { makeServer } from "./http.js"
import { type KeyInfo, Keys, keyJson } from "./keys.js"
import { migrate } from "./migrations.js"
import { Latency, type Target } from "./routing.js"
import { DEFAULT_RESERVATION_DEADLINE_MS, ReservationDeadline, Spend } from "./spend.js"

export interface RouterOptions extends DatabaseOptions {
  /** Provider addresses, in priority order. */
  readonly providers: ReadonlyArray<string>
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Default 0 (a free port). */
  readonly port?: number
  /** The bearer token of `/admin/*`; default 32 random bytes (read it from the result). */
  readonly adminToken?: Redacted.Redacted<string> | string
  /** `max_tokens` sent (and reserved) for requests that set no output limit. Default 4096. */
  readonly defaultMaxTokens?: number
  /**
   * This router's reservations not seen alive for this long are released as left by a crash (at start, and by the
   * funding lock's holder); it marks its own alive every quarter of it. Stored with each reservation, so replicas with
   * different deadlines release each other's only by the owner's. Default 10 minutes. `routerStoreLayer(options)`
   * provides it as `ReservationDeadline`, which `makeRouter` reads (provide that on a store layer of your own).
   */
  readonly reservationDeadlineMs?: number
  /** How long a failed provider is tried only after healthy ones. Default 30 000 ms. */
  readonly cooldownMs?: number
  /** Largest request body accepted. Default 32 MiB. */
  readonly maxBodyBytes?: number
  /**
   * Keep the providers' sub-accounts funded (inference's bounded `Funding.ensure`). Only the replica holding the
   * funding lock sends transactions (funding.ts). Without it no funding transaction is ever sent.
   */
  readonly funding?: RouterFundingOptions
  /** Names this instance in the funding log and lock. Default `inst_` + 6 random bytes. */
  readonly instanceId?: string
  /**
   * How often each provider's service is read again from chain (URL, prices and models for reservations and
   * `/v1/models`), so a price change reaches the reservations. Default 5 minutes.
   */
  readonly serviceRefreshMs?: number
}

export interface RouterHandle {
  /** `http://127.0.0.1:<port>`; the OpenAI base URL is `${url}/v1`. */
  readonly url: string
  readonly adminToken: Redacted.Redacted<string>
  readonly instanceId: string
  /** Migration versions applied by this start, and stale reservations released. */
  readonly started: { readonly migrations: ReadonlyArray<number>; readonly reconciled: number }
  readonly stop: () => Promise<void>
}

export type RouterError = LookupError | DatabaseFailed | RouterListenFailed

/** Keys + Spend + FundingLog over one database (opened by this layer, closed with its scope). */
export const routerStoreLayer = (options: DatabaseOptions & { readonly reservationDeadlineMs?: number }) =>
  Layer.mergeAll(Keys.layer, Spend.layer, FundingLog.layer).pipe(
    Layer.provideMerge(Database.layer(options)),
    Layer.provide(Layer.succeed(ReservationDeadline, options.reservationDeadlineMs ?? DEFAULT_RESERVATION_DEADLINE_MS)),
  )

export const makeRouter = (options: RouterOptions) =>
  Effect.gen(function* () {
    const directory = yield* Directory
    const requests = yield* InferenceRequests
    const keys = yield* Keys
    const spend = yield* Spend
    const migrations = yield* migrate()
    // The deadline the store's Spend stamps on each reservation (routerStoreLayer(options) sets it): the heartbeat
    // must beat well within that one, not a second setting.
    const deadline = yield* ReservationDeadline
    const reconciled = yield* spend.reconcile()
    // This instance's requests in flight are kept alive well within the deadline: only a stopped router's are released.
    const heartbeat = Effect.forever(
      Effect.andThen(Effect.sleep(Math.max(50, deadline / 4)), Effect.ignore(spend.touch())),
    )
    yield* Effect.forkIn(heartbeat, yield* Scope.Scope)
    const instanceId = options.instanceId ?? `inst_${randomBytes(6).toString("hex")}`
    const routed: RoutedProvider[] = []
    const targets = new Map<string, Target>()
    const resolve = (address: string) =>
      Effect.gen(function* () {
        const service = yield* directory.get(address)
        const catalog = Option.getOrUndefined(yield* Effect.option(directory.models(service.provider)))
        const models = new Set([service.model, ...(catalog?.models.map((m) => m.id) ?? [])])
        // Reservations use the dearest per-token price the provider's published plans can bill (tiers, cache writes).
        const plans = [...models].map((m) => planFromCatalog(service, catalog, m))
        const target: Target = {
          address: service.provider,
          url: service.url,
          defaultModel: service.model,
          models,
          prices: worstCasePrices(plans),
          serviceType: service.serviceType,
        }
        targets.set(service.provider.toLowerCase(), target)
        return target
      })
    for (const [priority, address] of options.providers.entries()) {
      const t = yield* resolve(address)
      routed.push({ address: t.address, priority, models: t.models, defaultModel: t.defaultModel })
    }
    // Prices and URLs follow the chain; a read that fails keeps the last one.
    const refresh = Effect.forEach(options.providers, (address) => Effect.ignore(resolve(address)), { discard: true })
    yield* Effect.forkIn(
      Effect.forever(Effect.andThen(Effect.sleep(options.serviceRefreshMs ?? DEFAULT_SERVICE_REFRESH_MS), refresh)),
      yield* Scope.Scope,
    )
    const leader = yield* startFundingLeader({
      instanceId,
      providers: [...targets.values()].map((t) => t.address),
      intervalMs: options.funding?.intervalMs ?? DEFAULT_FUNDING_INTERVAL_MS,
      funding: options.funding === undefined ? undefined : { service: yield* Funding, policy: options.funding.policy },
    })
    const router = new Router(routed, options.cooldownMs ?? 30_000)
    const latency = new Latency()
    const adminToken = bearerSecret(options.adminToken, "zgr-admin-")

    const models = (key: KeyInfo) => {
      const allowed = key.providers === undefined ? undefined : new Set(key.providers)
      const data = router
        .models()
        .filter((m) => key.models === undefined || key.models.includes(m.id))
        .map((m) => ({
          id: m.id,
          object: "model",
          created: 0,
          owned_by: "0g-compute",
          providers: m.providers
            .filter((a) => allowed === undefined || allowed.has(a.toLowerCase()))
            .map((a) => {
              const t = targets.get(a.toLowerCase())
              const perMillion = (p: bigint | undefined) => formatZG((p ?? 0n) * 1_000_000n)
              return {
                address: a,
                input_price_per_million: perMillion(t?.prices.inputPerToken),
                output_price_per_million: perMillion(t?.prices.outputPerToken),
                latency_ms: latency.of(a) ?? null,
              }
            }),
        }))
        .filter((m) => m.providers.length > 0)
      return { object: "list", data }
    }
    const usage = async () => {
      const [list, totals] = await Promise.all([Effect.runPromise(keys.list()), Effect.runPromise(spend.totals())])
      // Money in 0G, as every amount the admin API answers (toJson would write bigints as neuron).
      const zg = { logged: formatZG(totals.logged), spent: formatZG(totals.spent), reserved: formatZG(totals.reserved) }
      return { keys: list.map(keyJson), totals: zg, providers: router.status(Date.now()) }
    }
    const dashboard = async () => {
      const now = Date.now()
      const [list, breakdown, recent] = await Promise.all([
        Effect.runPromise(keys.list()),
        Effect.runPromise(spend.breakdown(now - 24 * 3600_000)),
        Effect.runPromise(spend.recent({ limit: 50 })),
      ])
      return {
        keys: list,
        breakdown,
        recent,
        providers: router.status(now),
        latency: (a: string) => latency.of(a),
        now,
      }
    }
    const server = makeServer({
      keys,
      adminToken,
      models,
      usage,
      dashboard,
      funding: async (limit) => fundingJson(await Effect.runPromise(leader.view(limit))),
      chat: {
        spend,
        fetchFor: requests.fetch,
        router,
        targets,
        latency,
        defaultMaxTokens: options.defaultMaxTokens ?? DEFAULT_MAX_TOKENS,
        maxBodyBytes: options.maxBodyBytes ?? 32 * 1024 * 1024,
      },
    })
    const listening = yield* Effect.acquireRelease(
      Effect.callback<{ url: string; stop: () => Promise<void> }, RouterListenFailed>((resume) => {
        const host = options.host ?? "127.0.0.1"
        const port = options.port ?? 0
        server.once("error", (e: NodeJS.ErrnoException) =>
          resume(Effect.fail(new RouterListenFailed({ host, port, code: e.code }))),
        )
        server.listen(port, host, () => {
          const a = server.address() as AddressInfo
          let stopping: Promise<void> | undefined
          const stop = () => {
            stopping ??= new Promise<void>((resolve) => {
              server.close(() => resolve())
              server.closeAllConnections()
            })
            return stopping
          }
          resume(
            Effect.succeed({ url: `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`, stop }),
          )
        })
      }),
      (l) => Effect.promise(() => l.stop()),
    )
    return { url: listening.url, adminToken, instanceId, started: { migrations, reconciled }, stop: listening.stop }
  })

/**
 * The Promise face: `await startRouter({ client, providers, dataDir })`; `stop()` closes the server and the database.
 * Rejects with the typed error itself (ServiceNotFound, DatabaseFailed, RouterListenFailed, …).
 */
export const startRouter = async (
  options: RouterOptions & { readonly client: InferenceClient },
): Promise<RouterHandle> => {
  const scope = Scope.makeUnsafe()
  const close = () => Effect.runPromise(Scope.close(scope, Exit.void))
  try {
    const handle = await options.client.run(
      Effect.gen(function* () {
        const store = yield* Layer.buildWithScope(routerStoreLayer(options), scope)
        return yield* makeRouter(options).pipe(Effect.provide(store), Scope.provide(scope))
      }),
    )
    return { ...handle, stop: close }
  } catch (e) {
    await close()
    throw e
  }
}
