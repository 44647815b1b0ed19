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

import type { AddressInfo } from "node:net"
import { type InvalidAmount, parseZG } from "@0g-compute/core"
import { Data, Effect, Exit, type Redacted, Scope } from "effect"
import { worstCasePrices } from "../../billing.js"
import { planFromCatalog } from "../../billing-plans.js"
import { Directory, type LookupError } from "../../directory.js"
import type { InferenceClient } from "../../facade.js"
import { InferenceRequests } from "../../requests.js"
import type { UsageSummary } from "../../usage.js"
import { type Resolved, serve, type Unlistened } from "./handler.js"
import type { StreamVerifyMode } from "./relay.js"
import type { ProviderHealth } from "./router.js"

export interface GatewayProvider {
  readonly address: string
  /** Lower is preferred. Default: the position in the list. */
  readonly priority?: number
}

export interface GatewayOptions {
  readonly providers: ReadonlyArray<string | GatewayProvider>
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Default 0 (a free port). */
  readonly port?: number
  /** The bearer token clients must send; default: 32 random bytes. */
  readonly token?: Redacted.Redacted<string> | string
  /**
   * A budget (neuron, or a decimal 0G string): spent + reserved by requests in flight never exceeds it. Each request
   * reserves its maximum cost before it is sent; one that does not fit is refused with 402.
   */
  readonly spendingCap?: bigint | string
  /** With a spending cap: the `max_tokens` added to requests that set no output limit. Default 4096. */
  readonly defaultMaxTokens?: number
  /** What a streaming client sees before verification: "pass-through" (default) or "buffer" (nothing until verified). */
  readonly verify?: StreamVerifyMode
  /** In "buffer" mode, the largest stream held for verification. Default 32 MiB. */
  readonly maxBufferedBytes?: number
  /** How long a failed provider is tried only after healthy ones. Default 30 000 ms. */
  readonly cooldownMs?: number
  /** Largest request body accepted. Default 32 MiB (the broker's limit). */
  readonly maxBodyBytes?: number
}

export interface GatewayUsage extends UsageSummary {
  readonly spent: bigint
  readonly spendingCap: bigint | undefined
  /** Σ maximum cost of the requests in flight. */
  readonly reserved: bigint
  /** Exchanges a provider billed above their reservation (the provider is put in cooldown). */
  readonly overruns: number
  readonly providers: ReadonlyArray<ProviderHealth>
}

export interface Gateway {
  /** `http://127.0.0.1:<port>`; the OpenAI base URL is `${url}/v1`. */
  readonly url: string
  readonly token: Redacted.Redacted<string>
  readonly usage: () => GatewayUsage
  readonly stop: () => Promise<void>
}

/** The gateway could not listen on its address (a busy port, a port below 1024, an unknown host). */
export class GatewayListenFailed extends Data.TaggedError("GatewayListenFailed")<{
  readonly host: string
  readonly port: number
  /** The socket error code (EADDRINUSE, EACCES, …), when there is one. */
  readonly code: string | undefined
}> {
  override get message() {
    const where = `${this.host}:${this.port}`
    return this.code === "EADDRINUSE"
      ? `the gateway cannot listen on ${where}: the port is in use`
      : `the gateway cannot listen on ${where}${this.code === undefined ? "" : ` (${this.code})`}`
  }
}

export type GatewayError = LookupError | InvalidAmount | GatewayListenFailed

/**
 * The gateway over the inference services (`Directory` for the providers, `InferenceRequests` for the verifying
 * fetch). Resolves every provider, then listens; the server stops when the scope closes (or on `stop()`).
 */
export const makeGateway = (
  options: GatewayOptions,
): Effect.Effect<Gateway, GatewayError, Directory | InferenceRequests | Scope.Scope> =>
  Effect.gen(function* () {
    const directory = yield* Directory
    const requests = yield* InferenceRequests
    const cap = typeof options.spendingCap === "string" ? yield* parseZG(options.spendingCap) : options.spendingCap
    // Resolve every provider once: its URL, its models and prices (the budget reserves at these prices).
    const resolved: Array<Resolved> = []
    for (const [i, entry] of options.providers.entries()) {
      const spec = typeof entry === "string" ? { address: entry } : entry
      const service = yield* directory.get(spec.address)
      const catalog = yield* Effect.option(directory.models(service.provider))
      const models = catalog._tag === "Some" ? catalog.value.models.map((m) => m.id) : []
      // Reserve at the dearest per-token price the provider's published plans can bill (tiers, cache writes).
      const plans = [service.model, ...models].map((m) =>
        planFromCatalog(service, catalog._tag === "Some" ? catalog.value : undefined, m),
      )
      resolved.push({ service, priority: spec.priority ?? i, models, prices: worstCasePrices(plans) })
    }
    const gateway = serve(options, cap, resolved, requests.fetch)
    return yield* Effect.acquireRelease(listen(gateway, options), (g) => Effect.promise(() => g.stop()))
  })

/**
 * The Promise face over an `InferenceClient`: `await startGateway({ client, providers })`; `stop()` closes it.
 * Rejects with the typed error itself (ServiceNotFound, InvalidAmount, GatewayListenFailed, …).
 */
export const startGateway = async (
  options: GatewayOptions & { readonly client: InferenceClient },
): Promise<Gateway> => {
  const scope = Scope.makeUnsafe()
  try {
    const gateway = await options.client.run(Scope.provide(scope)(makeGateway(options)))
    return { ...gateway, stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
  } catch (e) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw e
  }
}

/** Binds the server; a failure is a typed GatewayListenFailed. */
const listen = (g: Unlistened, options: GatewayOptions) =>
  Effect.callback<Gateway, GatewayListenFailed>((resume) => {
    const host = options.host ?? "127.0.0.1"
    const port = options.port ?? 0
    g.server.once("error", (e: NodeJS.ErrnoException) =>
      resume(Effect.fail(new GatewayListenFailed({ host, port, code: e.code }))),
    )
    g.server.listen(port, host, () => {
      const address = g.server.address() as AddressInfo
      const shown = address.family === "IPv6" ? `[${address.address}]` : address.address
      let stopping: Promise<void> | undefined
      resume(
        Effect.succeed({
          url: `http://${shown}:${address.port}`,
          token: g.token,
          usage: g.usage,
          stop: () => {
            stopping ??= new Promise<void>((resolve) => {
              g.server.close(() => resolve())
              g.server.closeAllConnections()
            })
            return stopping
          },
        }),
      )
    })
  })
