/**
 * LoRA adapters on an inference provider (0g-serving-broker `handler/lora.go`, official SDK 0.9.0 `LoRAProcessor`):
 * a fine-tuned task's adapter, once the task's model was acknowledged, can be deployed to a provider serving its
 * base model and then named as the `model` of a chat (only by its owner).
 *
 * Routes, off the service URL (not `/v1/proxy`): `GET /v1/lora/adapters` → `{adapters}`,
 * `GET /v1/lora/adapters/{name}`, `POST /v1/lora/adapters/deploy {taskId, baseModel}`. The broker asks no session on
 * these; like the official SDK we send ours (a broker that starts checking it keeps working). Every answer is read
 * under the metadata limits and Schema-decoded.
 */
import { Clock, Data, Duration, Effect, Redacted, Schema } from "effect"
import { RequestAuth } from "./auth/session.js"
import { Directory } from "./directory.js"
import { providerJson } from "./http.js"

export const ADAPTER_STATES = [
  "init",
  "pending",
  "downloading",
  "ready",
  "active",
  "loading",
  "offloaded",
  "archived",
  "failed",
] as const
export type AdapterState = (typeof ADAPTER_STATES)[number]

/** One adapter as the broker reports it; an unknown future state is kept as its string. */
export const AdapterInfo = Schema.Struct({
  adapterName: Schema.String,
  taskId: Schema.optionalKey(Schema.String),
  baseModel: Schema.optionalKey(Schema.String),
  state: Schema.String,
  userAddress: Schema.optionalKey(Schema.String),
  storageRootHash: Schema.optionalKey(Schema.String),
  error: Schema.optionalKey(Schema.String),
})
export type AdapterInfo = typeof AdapterInfo.Type

const AdapterList = Schema.Struct({ adapters: Schema.NullOr(Schema.Array(AdapterInfo)) })
const DeployBody = Schema.Struct({
  status: Schema.optionalKey(Schema.String),
  adapterName: Schema.optionalKey(Schema.String),
  message: Schema.optionalKey(Schema.String),
})

export interface DeployResult {
  readonly adapterName: string
  /** The broker's answer ("deploying"), or "active" when it already was. */
  readonly status: string
  readonly message: string
}

// ── Errors ───────────────────────────────────────────────────────────────────────────────────────────────────────

/** The provider knows no adapter by this name (the task's model not acknowledged yet, or another provider). */
export class AdapterNotFound extends Data.TaggedError("AdapterNotFound")<{
  readonly provider: string
  readonly adapterName: string
}> {
  override get message() {
    return `Provider ${this.provider} has no LoRA adapter ${this.adapterName} (is the fine-tuning task's model acknowledged?)`
  }
}

/** The provider does not serve LoRA adapters at all. */
export class LoraNotEnabled extends Data.TaggedError("LoraNotEnabled")<{ readonly provider: string }> {
  override get message() {
    return `Provider ${this.provider} does not serve LoRA adapters`
  }
}

/** The provider refused the deployment (unknown adapter, or a state it cannot deploy from). */
export class AdapterDeployRefused extends Data.TaggedError("AdapterDeployRefused")<{
  readonly provider: string
  readonly adapterName: string
  readonly status: number
  readonly detail: string
}> {
  override get message() {
    return `Provider ${this.provider} refused to deploy ${this.adapterName}: ${this.detail}`
  }
}

/** The adapter ended in `failed`. */
export class AdapterFailed extends Data.TaggedError("AdapterFailed")<{
  readonly provider: string
  readonly adapterName: string
  readonly detail: string | undefined
}> {
  override get message() {
    return `LoRA adapter ${this.adapterName} failed on provider ${this.provider}${this.detail ? `: ${this.detail}` : ""}`
  }
}

/** The adapter did not become active in time. */
export class AdapterWaitTimeout extends Data.TaggedError("AdapterWaitTimeout")<{
  readonly provider: string
  readonly adapterName: string
  readonly lastState: string | undefined
  readonly waitedMs: number
}> {
  override get message() {
    return `LoRA adapter ${this.adapterName} was not active after ${Math.round(this.waitedMs / 1000)}s (last state: ${this.lastState ?? "not found"})`
  }
}

// ── Operations ───────────────────────────────────────────────────────────────────────────────────────────────────

/** The broker's adapter name (MakeAdapterName): `ft-<base model, / . space → ->-<first 12 chars of the task id>`. */
export const adapterName = (baseModel: string, taskId: string): string =>
  `ft-${baseModel.replace(/[/. ]/g, "-")}-${taskId.length > 12 ? taskId.slice(0, 12) : taskId}`

const target = (provider: string, path: string) =>
  Effect.gen(function* () {
    const service = yield* Directory.use((d) => d.cached(provider))
    const cred = yield* RequestAuth.use((a) => a.session(service.provider))
    return {
      ctx: { provider: service.provider, url: `${service.url}/v1/lora${path}`, tokenId: cred.tokenId },
      headers: { authorization: Redacted.value(cred.authorization) },
    }
  })

const httpStatus = (e: unknown): { status: number; detail: string } | undefined =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "ProviderHttpError"
    ? { status: (e as { status: number }).status, detail: (e as { detail: string }).detail }
    : undefined

/** The broker's LoRA statuses as typed errors: 503 not enabled, 404 unknown adapter, 409/400 deploy refused. */
const loraErrors =
  (provider: string, name: string | undefined, deploy: boolean) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.mapError(effect, (e): E | LoraNotEnabled | AdapterNotFound | AdapterDeployRefused => {
      const h = httpStatus(e)
      if (h === undefined) return e
      if (h.status === 503) return new LoraNotEnabled({ provider })
      if (name !== undefined && !deploy && h.status === 404) return new AdapterNotFound({ provider, adapterName: name })
      if (name !== undefined && deploy && (h.status === 409 || h.status === 400)) {
        return new AdapterDeployRefused({ provider, adapterName: name, status: h.status, detail: h.detail })
      }
      return e
    })

/** Every adapter the provider knows (the broker lists all users' adapters). */
export const listAdapters = Effect.fn("Adapters.list")(function* (provider: string) {
  const { ctx, headers } = yield* target(provider, "/adapters")
  const body = yield* providerJson(ctx, AdapterList, "LoRA adapter list", { headers }).pipe(
    loraErrors(ctx.provider, undefined, false),
  )
  return body.adapters ?? []
})

/** One adapter's state. */
export const adapterStatus = Effect.fn("Adapters.status")(function* (provider: string, name: string) {
  const { ctx, headers } = yield* target(provider, `/adapters/${encodeURIComponent(name)}`)
  return yield* providerJson(ctx, AdapterInfo, "LoRA adapter status", { headers }).pipe(
    loraErrors(ctx.provider, name, false),
  )
})

/** Asks the provider to deploy the adapter of `taskId` (fine-tuned on `baseModel`). An active one is left alone. */
export const deployAdapter = Effect.fn("Adapters.deploy")(function* (
  provider: string,
  task: { readonly taskId: string; readonly baseModel: string },
) {
  const name = adapterName(task.baseModel, task.taskId)
  const { ctx, headers } = yield* target(provider, "/adapters/deploy")
  const body = JSON.stringify({ taskId: task.taskId, baseModel: task.baseModel })
  const answer = yield* providerJson(ctx, DeployBody, "LoRA deploy answer", {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body,
  }).pipe(loraErrors(ctx.provider, name, true))
  return {
    adapterName: answer.adapterName ?? name,
    status: answer.status ?? "deploying",
    message: answer.message ?? "",
  } satisfies DeployResult
})

export interface WaitOptions {
  /** Default 120 s (the official SDK's). */
  readonly timeoutMs?: number
  /** Default 2 s. */
  readonly intervalMs?: number
  /** Told each new state. */
  readonly onState?: (state: string) => void
}

/** Polls until the adapter is `active`; `failed` → `AdapterFailed`; past the deadline → `AdapterWaitTimeout`. */
export const waitForAdapter = Effect.fn("Adapters.wait")(function* (
  provider: string,
  name: string,
  options: WaitOptions = {},
) {
  const timeoutMs = options.timeoutMs ?? 120_000
  const intervalMs = Math.max(1, options.intervalMs ?? 2_000)
  const started = yield* Clock.currentTimeMillis
  let last: string | undefined
  for (;;) {
    const info = yield* adapterStatus(provider, name).pipe(
      Effect.map((a): AdapterInfo | undefined => a),
      Effect.catchTag("AdapterNotFound", () => Effect.succeed(undefined)),
    )
    if (info !== undefined && info.state !== last) {
      last = info.state
      options.onState?.(info.state)
    }
    if (info?.state === "active") return info
    if (info?.state === "failed") {
      return yield* new AdapterFailed({ provider, adapterName: name, detail: info.error })
    }
    const waited = (yield* Clock.currentTimeMillis) - started
    if (waited >= timeoutMs) {
      return yield* new AdapterWaitTimeout({ provider, adapterName: name, lastState: last, waitedMs: waited })
    }
    yield* Effect.sleep(Duration.millis(Math.min(intervalMs, timeoutMs - waited)))
  }
})
