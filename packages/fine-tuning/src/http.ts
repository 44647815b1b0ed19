/**
 * Provider HTTP (fine-tuning-protocol.md §2): fetch wrapped into typed errors, and Schema decoding of the broker's
 * JSON. Connection failures are `ProviderUnreachable`; non-2xx answers are `ProviderHttpError` carrying the broker's
 * `{"error": "..."}` message, which callers refine into specific errors.
 */
import {
  type BoundedResponse,
  FINE_TUNING_PROGRESS,
  type FineTuningProgress,
  isProviderLimitError,
  METADATA_LIMITS,
  type ProviderLimitError,
  type ProviderLimits,
  providerErrorDetail,
  providerExchange,
} from "@0g-compute/core"
import { Effect, Schema, SchemaGetter } from "effect"
import { HttpClientRequest } from "effect/http"
import { MalformedProviderResponse, ProviderHttpError, ProviderUnreachable } from "./errors.js"

/** Deadlines and body ceilings per kind of provider call. */
export interface FineTuningHttpLimits {
  /** JSON routes: models, quote, tasks, pending count, cancel. */
  readonly metadata: ProviderLimits
  /** Task logs. */
  readonly logs: ProviderLimits
  /** Dataset upload through the provider: the upload itself counts toward `connectMs`. */
  readonly upload: ProviderLimits
  /**
   * Model download: `firstByteMs`/`idleMs` default to `downloadIdleTimeoutMs`; `maxBytes` is the ceiling whatever
   * size the provider declares (a larger `content-length` is refused before reading).
   */
  readonly modelDownload: ProviderLimits
}

const MiB = 1024 * 1024

export const defaultFineTuningHttpLimits = (downloadIdleTimeoutMs = 60_000): FineTuningHttpLimits => ({
  metadata: METADATA_LIMITS,
  logs: { ...METADATA_LIMITS, totalMs: 60_000, maxBytes: 16 * MiB },
  upload: { connectMs: 3_600_000, firstByteMs: 60_000, idleMs: 60_000, totalMs: 3_660_000, maxBytes: 1 * MiB },
  modelDownload: {
    connectMs: 60_000,
    firstByteMs: downloadIdleTimeoutMs,
    idleMs: downloadIdleTimeoutMs,
    totalMs: 24 * 3_600_000,
    maxBytes: 32 * 1024 * MiB,
  },
})

/** The provider's routes of one user: `/user/{address}`. */
export const userPath = (wallet: { readonly address: string }) => `/user/${wallet.address}`

export interface ProviderEndpoint {
  readonly provider: string
  /** Base URL without a trailing slash (the on-chain `url`). */
  readonly url: string
  readonly fetch: typeof globalThis.fetch
  /** Default: {@link defaultFineTuningHttpLimits}. */
  readonly limits?: FineTuningHttpLimits | undefined
}

/** The broker's error message: the JSON `error` field, else the start of the body. */
export const errorDetail = providerErrorDetail

/** A 2xx answer whose body is still to be read (under the same limits). */
export interface ProviderReply {
  readonly url: string
  readonly body: BoundedResponse
}

const limitsOf = (ep: ProviderEndpoint, method: string, path: string): ProviderLimits => {
  const l = ep.limits ?? defaultFineTuningHttpLimits()
  if (method === "POST" && path.endsWith("/dataset")) return l.upload
  if (path.endsWith("/log")) return l.logs
  return l.metadata
}

const wrap = (provider: string, url: string) => (cause: unknown) =>
  cause instanceof ProviderUnreachable || isProviderLimitError(cause)
    ? cause
    : new ProviderUnreachable({ provider, url, cause })

const request = (method: "GET" | "POST", url: string, init: SendInit) => {
  const r = method === "GET" ? HttpClientRequest.get(url) : HttpClientRequest.post(url)
  if (init.json !== undefined) return HttpClientRequest.bodyText(r, JSON.stringify(init.json), "application/json")
  return init.form === undefined ? r : HttpClientRequest.bodyFormData(r, init.form)
}

interface SendInit {
  readonly json?: unknown
  readonly form?: FormData
  readonly signal?: AbortSignal
}

/**
 * Sends one request to `{url}/v1{path}` under the provider limits, through core's provider exchange on `HttpClient`
 * (the context's client, else fetch with `ep.fetch`); a 2xx answer is returned with its body unread, anything else
 * becomes `ProviderHttpError`. Interrupting the effect closes the connection.
 */
export const send = (
  ep: ProviderEndpoint,
  method: "GET" | "POST",
  path: string,
  init: SendInit = {},
): Effect.Effect<ProviderReply, ProviderUnreachable | ProviderLimitError | ProviderHttpError> => {
  const url = `${ep.url}/v1${path}`
  const unreachable = wrap(ep.provider, url)
  return Effect.gen(function* () {
    const body = yield* providerExchange(
      request(method, url, init),
      { provider: ep.provider, url },
      limitsOf(ep, method, path),
      { signal: init.signal, fetch: ep.fetch, unreachable: (e) => unreachable(e) as ProviderUnreachable },
    )
    if (body.response.ok) return { url, body }
    const text = yield* Effect.promise(() => body.text().catch(() => ""))
    const status = body.response.status
    return yield* new ProviderHttpError({ provider: ep.provider, url, status, detail: errorDetail(text) })
  })
}

export const readText = (ep: ProviderEndpoint, res: ProviderReply) =>
  Effect.tryPromise({
    try: (signal) => {
      signal.addEventListener("abort", () => res.body.cancel(), { once: true })
      return res.body.text()
    },
    catch: (e) => wrap(ep.provider, res.url)(e) as ProviderUnreachable | ProviderLimitError,
  })

/** Reads and decodes a JSON body. */
export const readJson = <S extends Schema.Decoder<unknown>>(ep: ProviderEndpoint, res: ProviderReply, schema: S) =>
  Effect.gen(function* () {
    const text = yield* readText(ep, res)
    const url = res.url
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return yield* new MalformedProviderResponse({ provider: ep.provider, what: "reply", url, detail: "not JSON" })
    }
    return yield* Schema.decodeUnknownEffect(schema)(value).pipe(
      Effect.mapError(
        (e) => new MalformedProviderResponse({ provider: ep.provider, what: "reply", url, detail: String(e.message) }),
      ),
    )
  })

// ── Wire schemas ──────────────────────────────────────────────────────────────────────────────────────────────────

/** A neuron amount or nonce as the broker marshals it: decimal digits (empty before Setup). Anything else is malformed. */
const UnsignedDecimal = Schema.String.pipe(Schema.check(Schema.isPattern(/^\d*$/)))

export const TaskJson = Schema.Struct({
  id: Schema.String,
  createdAt: Schema.String,
  updatedAt: Schema.optionalKey(Schema.String),
  userAddress: Schema.String,
  preTrainedModelHash: Schema.String,
  datasetHash: Schema.String,
  trainingParams: Schema.String,
  fee: UnsignedDecimal,
  nonce: UnsignedDecimal,
  progress: Schema.String,
  deliverTime: Schema.optionalKey(Schema.Number),
  modelType: Schema.optionalKey(Schema.Number),
  wait: Schema.optionalKey(Schema.Boolean),
})

/** The broker's `TrainingDataType` marshals as an integer (0 text, 1 image); older builds sent the name. */
const DATA_TYPES: Readonly<Record<number, string>> = { 0: "text", 1: "image" }
const DataType = Schema.Union([Schema.String, Schema.Number]).pipe(
  Schema.decodeTo(Schema.String, {
    decode: SchemaGetter.transform((v: string | number) =>
      typeof v === "number" ? (DATA_TYPES[v] ?? `type ${v}`) : v,
    ),
    encode: SchemaGetter.transform((s: string) => s),
  }),
)

/** One entry of `/v1/model` (the broker's `config.CustomizedModel`); fee terms are read leniently (see fees.ts). */
export const ModelJson = Schema.Struct({
  name: Schema.String,
  hash: Schema.String,
  description: Schema.optionalKey(Schema.String),
  tokenizer: Schema.optionalKey(Schema.String),
  dataType: Schema.optionalKey(DataType),
  priceCoefficient: Schema.optionalKey(Schema.Unknown),
  storageFee: Schema.optionalKey(Schema.Unknown),
})

export const CreatedJson = Schema.Struct({ id: Schema.String })
export const DatasetUploadJson = Schema.Struct({
  datasetHash: Schema.String,
  message: Schema.optionalKey(Schema.String),
})

/** The progress values of the state machine (spec §6), in order; providers may add others. */
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

// Digits only (the schema checked); empty before the provider's Setup.
const big = (s: string) => (s === "" ? 0n : BigInt(s))

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
export const progressRank = (p: string): number =>
  p === "Failed" ? -1 : FINE_TUNING_PROGRESS.indexOf(p as TaskProgress)
