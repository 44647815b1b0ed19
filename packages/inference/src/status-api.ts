/**
 * Services with detail: the on-chain services plus what the network's status API publishes about them (official
 * SDK 0.9.0 `listServiceWithDetail`): per-provider health (`GET {statusApi}/health` → `{services}`) and the model
 * catalogue (`GET {statusApi}/models` → `{data}`, each card with its provider). Mainnet and testnet have one each;
 * a devnet serves its own. Detail is best-effort: an unreachable or malformed status API leaves the list intact and
 * says why detail is unavailable.
 */
import { Chain } from "@0g-compute/core"
import { Effect, Schema } from "effect"
import { Directory, type ListServicesOptions } from "./directory.js"
import { catalogueLimits, providerText } from "./http.js"
import type { ServiceView } from "./service-view.js"

export const STATUS_API_MAINNET = "https://compute-status.0g.ai"
export const STATUS_API_TESTNET = "https://compute-status-testnet.0g.ai"

/** The live networks' status APIs by chain id (mainnet 16661, testnet 16602); none for other chains. */
export const statusApiFor = (chainId: bigint): string | undefined =>
  chainId === 16661n ? STATUS_API_MAINNET : chainId === 16602n ? STATUS_API_TESTNET : undefined

const Metric = Schema.Struct({
  avg: Schema.Number,
  unit: Schema.optionalKey(Schema.String),
  samples: Schema.optionalKey(Schema.Number),
})

/** One entry of `/health`. */
export const ServiceHealthMetric = Schema.Struct({
  serviceType: Schema.optionalKey(Schema.String),
  model: Schema.optionalKey(Schema.String),
  provider: Schema.String,
  status: Schema.String,
  checks: Schema.Struct({
    total: Schema.Number,
    successful: Schema.Number,
    failed: Schema.Number,
    uptime: Schema.Number,
  }),
  performance: Schema.optionalKey(
    Schema.Struct({
      response_time: Schema.optionalKey(Metric),
      ttft: Schema.optionalKey(Metric),
      tokens_per_second: Schema.optionalKey(Metric),
    }),
  ),
  lastCheck: Schema.optionalKey(Schema.String),
})
export type ServiceHealthMetric = typeof ServiceHealthMetric.Type

const HealthBody = Schema.Struct({ services: Schema.Array(ServiceHealthMetric) })

/** One card of `/models`; fields beyond these are kept as sent in `raw`. */
const StatusModel = Schema.Struct({
  id: Schema.String,
  provider: Schema.optionalKey(Schema.String),
  name: Schema.optionalKey(Schema.String),
  type: Schema.optionalKey(Schema.String),
  context_length: Schema.optionalKey(Schema.Number),
  max_completion_tokens: Schema.optionalKey(Schema.Number),
  tee_attested: Schema.optionalKey(Schema.Boolean),
  pricing: Schema.optionalKey(Schema.Unknown),
})
const ModelsBody = Schema.Struct({ data: Schema.Array(Schema.Unknown) })

export interface ProviderHealth {
  readonly status: string
  /** Percent. */
  readonly uptime: number
  /** Milliseconds; undefined when the status API measured none. */
  readonly avgResponseTime: number | undefined
  readonly lastCheck: string | undefined
  readonly checks: number
}

export interface CatalogueModel {
  readonly id: string
  readonly name: string | undefined
  readonly contextLength: number | undefined
  readonly maxCompletionTokens: number | undefined
  readonly teeAttested: boolean | undefined
  readonly pricing: unknown
}

export interface ServiceWithDetail {
  readonly service: ServiceView
  readonly health: ProviderHealth | undefined
  readonly models: ReadonlyArray<CatalogueModel> | undefined
}

export interface ServicesWithDetail {
  readonly services: ReadonlyArray<ServiceWithDetail>
  /** The status API asked, or undefined when the network has none. */
  readonly statusApi: string | undefined
  /** Why some or all detail is missing (no status API, unreachable, malformed); undefined when both parts came. */
  readonly detailUnavailable: string | undefined
}

const STATUS = "status-api"

/** Reads one status API document; any failure is the reason detail is unavailable. */
const read = <S extends Schema.Decoder<unknown>>(url: string, schema: S) =>
  Effect.flatMap(catalogueLimits, (limits) => providerText({ provider: STATUS, url }, {}, limits)).pipe(
    Effect.flatMap(({ status, text }) => {
      if (status < 200 || status > 299) return Effect.fail(`${url} answered HTTP ${status}`)
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        return Effect.fail(`${url} did not answer JSON`)
      }
      const r = Schema.decodeUnknownOption(schema)(json)
      return r._tag === "Some" ? Effect.succeed(r.value as S["Type"]) : Effect.fail(`${url} answered an unknown shape`)
    }),
    Effect.mapError((e) => (typeof e === "string" ? e : `${url}: ${e.message}`)),
    Effect.result,
  )

/** Joins status-API documents onto services (pure): health by provider, models by provider. */
export const attachDetail = (
  services: ReadonlyArray<ServiceView>,
  health: ReadonlyArray<ServiceHealthMetric> | undefined,
  cards: ReadonlyArray<unknown> | undefined,
): ReadonlyArray<ServiceWithDetail> => {
  const healthBy = new Map<string, ServiceHealthMetric>()
  for (const h of health ?? []) healthBy.set(h.provider.toLowerCase(), h)
  const modelsBy = new Map<string, CatalogueModel[]>()
  for (const raw of cards ?? []) {
    const m = Schema.decodeUnknownOption(StatusModel)(raw)
    if (m._tag === "None" || m.value.provider === undefined) continue
    const key = m.value.provider.toLowerCase()
    const list = modelsBy.get(key) ?? []
    list.push({
      id: m.value.id,
      name: m.value.name,
      contextLength: m.value.context_length,
      maxCompletionTokens: m.value.max_completion_tokens,
      teeAttested: m.value.tee_attested,
      pricing: m.value.pricing,
    })
    modelsBy.set(key, list)
  }
  return services.map((service) => {
    const key = service.provider.toLowerCase()
    const h = healthBy.get(key)
    return {
      service,
      health:
        h === undefined
          ? undefined
          : {
              status: h.status,
              uptime: h.checks.uptime,
              avgResponseTime: h.performance?.response_time?.avg,
              lastCheck: h.lastCheck,
              checks: h.checks.total,
            },
      models: cards === undefined ? undefined : (modelsBy.get(key) ?? []),
    }
  })
}

/**
 * Every service (acknowledged-only unless asked), with health and catalogue from `statusApi` (default: the
 * network's, by chain id). Fails only when the chain cannot be read.
 */
export const listServicesWithDetail = Effect.fn("Directory.listWithDetail")(function* (
  options: Omit<ListServicesOptions, "offset" | "limit"> & {
    readonly statusApi?: string | undefined
    readonly chainId?: bigint | undefined
  } = {},
) {
  const services = yield* Directory.use((d) => d.listAll(options))
  // The chain id picks the network's status API; a reader without a Chain service needs `statusApi` or `chainId`.
  const chain = yield* Effect.serviceOption(Chain)
  const chainId = options.chainId ?? (chain._tag === "Some" ? chain.value.chainId : undefined)
  const api = (options.statusApi ?? (chainId === undefined ? undefined : statusApiFor(chainId)))?.replace(/\/+$/, "")
  if (api === undefined) {
    return {
      services: attachDetail(services, undefined, undefined),
      statusApi: undefined,
      detailUnavailable: "this network has no status API",
    } satisfies ServicesWithDetail
  }
  const [health, models] = yield* Effect.all([read(`${api}/health`, HealthBody), read(`${api}/models`, ModelsBody)], {
    concurrency: 2,
  })
  const reasons = [health, models].flatMap((r) => (r._tag === "Failure" ? [r.failure] : []))
  return {
    services: attachDetail(
      services,
      health._tag === "Success" ? health.success.services : undefined,
      models._tag === "Success" ? models.success.data : undefined,
    ),
    statusApi: api,
    detailUnavailable: reasons.length === 0 ? undefined : reasons.join("; "),
  } satisfies ServicesWithDetail
})
