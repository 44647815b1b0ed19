/**
 * `Directory`: service discovery. Paged listing (acknowledged-only by default, like the official SDK but explicit),
 * one service, and the provider's model catalogue. Services read here are cached per client so the request path
 * needs no chain reads; `get` always reads fresh and refreshes the cache.
 */
import { Chain, type InvalidAddress, parseAddress } from "@0g-compute/core"
import { Context, Effect, Layer } from "effect"
import { type ReadError, readService, readServicePage } from "./chain-reads.js"
import { DEFAULT_SERVICE_REFRESH_MS, InferenceConfig } from "./config.js"
import type { MalformedProviderResponse, ProviderUnreachable, ServiceNotFound } from "./errors.js"
import { catalogueLimits, type ProviderRejection, providerJson } from "./http.js"
import { ModelsBody } from "./schemas.js"
import { type ServiceView, toServiceView } from "./service-view.js"

export interface ListServicesOptions {
  readonly offset?: number
  /** Page size, 1..50 (the contract's maximum). Default 50. */
  readonly limit?: number
  /** Include services whose TEE signer the owner has not acknowledged. Default false. */
  readonly includeUnacknowledged?: boolean
}

export interface ServicePage {
  readonly services: ReadonlyArray<ServiceView>
  /** Services registered on chain (before the acknowledged filter). */
  readonly total: number
  readonly offset: number
  /** Offset of the next page, or undefined on the last page. */
  readonly nextOffset: number | undefined
}

export interface ModelInfo {
  readonly id: string
  readonly contextLength: number | undefined
  /** The provider's model-card pricing, as sent (display only; billing uses on-chain prices). */
  readonly pricing: unknown
}

export interface ModelCatalog {
  readonly provider: string
  readonly url: string
  readonly multiModel: boolean
  readonly priceDenomination: string | undefined
  /** The on-chain `model`. */
  readonly defaultModel: string
  readonly models: ReadonlyArray<ModelInfo>
  /** "provider": from `GET /v1/models`; "on-chain": the provider has no catalogue route (404), only the default. */
  readonly source: "provider" | "on-chain"
}

export type LookupError = ServiceNotFound | InvalidAddress | ReadError

export interface DirectoryShape {
  readonly list: (options?: ListServicesOptions) => Effect.Effect<ServicePage, ReadError>
  /** Every page. */
  readonly listAll: (
    options?: Omit<ListServicesOptions, "offset" | "limit">,
  ) => Effect.Effect<ReadonlyArray<ServiceView>, ReadError>
  /** Reads the service from chain now (and refreshes the cache). */
  readonly get: (provider: string) => Effect.Effect<ServiceView, LookupError>
  /** The cached service, if read within the refresh interval, without an effect: the request path's fast lane. */
  readonly peek: (provider: string) => ServiceView | undefined
  /**
   * The cached service, read again from chain when missing or older than the refresh interval (an RPC failure then
   * serves the last reading a while longer). What the request path uses.
   */
  readonly cached: (provider: string) => Effect.Effect<ServiceView, LookupError>
  /** The provider's model catalogue (`GET {url}/v1/models`). */
  readonly models: (
    provider: string,
  ) => Effect.Effect<ModelCatalog, LookupError | ProviderUnreachable | ProviderRejection | MalformedProviderResponse>
}

export class Directory extends Context.Service<Directory, DirectoryShape>()("zg/inference/Directory") {
  /** Needs `Chain`. */
  static readonly layer = Layer.effect(
    Directory,
    Effect.gen(function* () {
      return makeDirectory(yield* Chain, (yield* InferenceConfig).serviceRefreshMs)
    }),
  )
}

/** How long a stale service keeps serving when reading it again failed, before the next read is tried. */
const STALE_RETRY_MS = 30_000

/** `refreshMs`: how long a service read from chain serves requests (`InferenceConfig.serviceRefreshMs`). */
export const makeDirectory = (chain: Chain["Service"], refreshMs = DEFAULT_SERVICE_REFRESH_MS): DirectoryShape => {
  const cache = new Map<string, { readonly view: ServiceView; readonly until: number }>()
  const remember = (view: ServiceView, forMs = refreshMs) => {
    cache.set(view.provider.toLowerCase(), { view, until: Date.now() + forMs })
    return view
  }
  const fresh = (provider: string) => {
    const entry = cache.get(provider.toLowerCase())
    return entry !== undefined && entry.until > Date.now() ? entry.view : undefined
  }

  const list = Effect.fn("Directory.list")(function* (options: ListServicesOptions = {}) {
    const offset = Math.max(0, Math.floor(options.offset ?? 0))
    const limit = Math.min(50, Math.max(1, Math.floor(options.limit ?? 50)))
    const page = yield* readServicePage(chain, offset, limit)
    const views = page.services.map((s) => remember(toServiceView(s)))
    const next = offset + page.services.length
    return {
      services: options.includeUnacknowledged === true ? views : views.filter((v) => v.teeSignerAcknowledged),
      total: page.total,
      offset,
      nextOffset: page.services.length > 0 && next < page.total ? next : undefined,
    } satisfies ServicePage
  })

  const listAll = Effect.fn("Directory.listAll")(function* (
    options: Omit<ListServicesOptions, "offset" | "limit"> = {},
  ) {
    const out: ServiceView[] = []
    let offset: number | undefined = 0
    while (offset !== undefined) {
      const page: ServicePage = yield* list({ ...options, offset, limit: 50 })
      out.push(...page.services)
      offset = page.nextOffset
    }
    return out
  })

  const get = Effect.fn("Directory.get")(function* (provider: string) {
    const address = yield* parseAddress(provider)
    return remember(toServiceView(yield* readService(chain, address)))
  })

  const cached = (provider: string): Effect.Effect<ServiceView, LookupError> =>
    Effect.suspend(() => {
      const hit = fresh(provider)
      if (hit !== undefined) return Effect.succeed(hit)
      const stale = cache.get(provider.toLowerCase())?.view
      if (stale === undefined) return get(provider)
      // An RPC that fails to answer does not stop requests to a known provider: the last reading serves a while
      // longer. A service gone from chain (ServiceNotFound) is not served from memory.
      return get(provider).pipe(Effect.catchTag("RpcError", () => Effect.sync(() => remember(stale, STALE_RETRY_MS))))
    })

  const models = Effect.fn("Directory.models")(function* (provider: string) {
    const service = yield* cached(provider)
    const url = `${service.url}/v1/models`
    const base = {
      provider: service.provider,
      url: service.url,
      multiModel: service.additionalInfo?.MultiModel === true,
      priceDenomination: service.additionalInfo?.priceDenomination,
      defaultModel: service.model,
    }
    const limits = yield* catalogueLimits
    return yield* providerJson({ provider: service.provider, url }, ModelsBody, "model catalogue", {}, limits).pipe(
      Effect.map(
        (body): ModelCatalog => ({
          ...base,
          models: body.data.map((m) => ({ id: m.id, contextLength: m.context_length, pricing: m.pricing })),
          source: "provider",
        }),
      ),
      Effect.catchIf(
        (e) => e._tag === "ProviderHttpError" && e.status === 404,
        () =>
          Effect.succeed<ModelCatalog>({
            ...base,
            models: [{ id: service.model, contextLength: undefined, pricing: undefined }],
            source: "on-chain",
          }),
      ),
    )
  })

  const peek = fresh

  return { list, listAll, get, cached, peek, models }
}
