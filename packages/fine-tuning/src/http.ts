/**
 * Provider HTTP (fine-tuning-protocol.md §2): fetch wrapped into typed errors, and Schema decoding of the broker's
 * JSON. Connection failures are `ProviderUnreachable`; non-2xx answers are `ProviderHttpError` carrying the broker's
 * `{"error": "..."}` message, which callers refine into specific errors.
 */
import { FINE_TUNING_PROGRESS, type FineTuningProgress } from "@0g-compute/core"
import { Effect, Schema } from "effect"
import { MalformedProviderResponse, ProviderHttpError, ProviderUnreachable } from "./errors.js"

export interface ProviderEndpoint {
  readonly provider: string
  /** Base URL without a trailing slash (the on-chain `url`). */
  readonly url: string
  readonly fetch: typeof globalThis.fetch
}

/** The broker's error message: the JSON `error` field, else the start of the body. */
export const errorDetail = (body: string): string => {
  try {
    const json = JSON.parse(body) as { error?: unknown }
    if (typeof json.error === "string") return json.error
  } catch {
    // not JSON
  }
  return body.slice(0, 300).trim()
}

/** Sends one request to `{url}/v1{path}`; any 2xx response is returned unread. */
export const send = (
  ep: ProviderEndpoint,
  method: "GET" | "POST",
  path: string,
  init: { readonly json?: unknown; readonly form?: FormData; readonly signal?: AbortSignal } = {},
): Effect.Effect<Response, ProviderUnreachable | ProviderHttpError> => {
  const url = `${ep.url}/v1${path}`
  return Effect.gen(function* () {
    const res = yield* Effect.tryPromise({
      try: (signal) =>
        ep.fetch(url, {
          method,
          signal: init.signal ?? signal,
          ...(init.json === undefined
            ? init.form === undefined
              ? {}
              : { body: init.form }
            : { body: JSON.stringify(init.json), headers: { "content-type": "application/json" } }),
        }),
      catch: (cause) => new ProviderUnreachable({ provider: ep.provider, url, cause }),
    })
    if (res.ok) return res
    const body = yield* Effect.promise(() => res.text().catch(() => ""))
    return yield* new ProviderHttpError({ provider: ep.provider, url, status: res.status, detail: errorDetail(body) })
  })
}

export const readText = (ep: ProviderEndpoint, res: Response) =>
  Effect.tryPromise({
    try: () => res.text(),
    catch: (cause) => new ProviderUnreachable({ provider: ep.provider, url: res.url || ep.url, cause }),
  })

/** Reads and decodes a JSON body. */
export const readJson = <S extends Schema.Decoder<unknown>>(ep: ProviderEndpoint, res: Response, schema: S) =>
  Effect.gen(function* () {
    const text = yield* readText(ep, res)
    const url = res.url || ep.url
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return yield* new MalformedProviderResponse({ provider: ep.provider, url, detail: "not JSON" })
    }
    return yield* Schema.decodeUnknownEffect(schema)(value).pipe(
      Effect.mapError((e) => new MalformedProviderResponse({ provider: ep.provider, url, detail: String(e.message) })),
    )
  })

// ── Wire schemas ──────────────────────────────────────────────────────────────────────────────────────────────────

export const TaskJson = Schema.Struct({
  id: Schema.String,
  createdAt: Schema.String,
  updatedAt: Schema.optionalKey(Schema.String),
  userAddress: Schema.String,
  preTrainedModelHash: Schema.String,
  datasetHash: Schema.String,
  trainingParams: Schema.String,
  fee: Schema.String,
  nonce: Schema.String,
  progress: Schema.String,
  deliverTime: Schema.optionalKey(Schema.Number),
  modelType: Schema.optionalKey(Schema.Number),
  wait: Schema.optionalKey(Schema.Boolean),
})

export const ModelJson = Schema.Struct({
  name: Schema.String,
  hash: Schema.String,
  description: Schema.optionalKey(Schema.String),
  tokenizer: Schema.optionalKey(Schema.String),
  dataType: Schema.optionalKey(Schema.String),
})

export const CreatedJson = Schema.Struct({ id: Schema.String })
export const DatasetUploadJson = Schema.Struct({
  datasetHash: Schema.String,
  message: Schema.optionalKey(Schema.String),
})

/** The progress values of the state machine (spec §6), in order; providers may add others. */
export const TASK_PROGRESS = FINE_TUNING_PROGRESS
export type TaskProgress = FineTuningProgress

/** A task as the client sees it. Amounts and nonces are bigint. */
export interface Task {
  readonly id: string
  readonly createdAt: string
  readonly updatedAt: string | undefined
  readonly userAddress: string
  readonly preTrainedModelHash: string
  readonly datasetHash: string
  readonly trainingParams: string
  /** Computed by the provider in Setup; 0 before. */
  readonly fee: bigint
  readonly nonce: bigint
  readonly progress: string
  /** Unix seconds of the delivery, 0 before. */
  readonly deliverTime: number
}

const big = (s: string) => (/^\d+$/.test(s) ? BigInt(s) : 0n)

export const toTask = (t: typeof TaskJson.Type): Task => ({
  id: t.id,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
  userAddress: t.userAddress,
  preTrainedModelHash: t.preTrainedModelHash,
  datasetHash: t.datasetHash,
  trainingParams: t.trainingParams,
  fee: big(t.fee),
  nonce: big(t.nonce),
  progress: t.progress,
  deliverTime: t.deliverTime ?? 0,
})

/** Position of a progress value in the state machine (-1 for unknown values and Failed). */
export const progressRank = (p: string): number => (p === "Failed" ? -1 : TASK_PROGRESS.indexOf(p as TaskProgress))
