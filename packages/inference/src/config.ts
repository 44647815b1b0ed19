/**
 * Tunables of the inference client, as an Effect `Context.Reference` with defaults: provide a different value with
 * `Layer.succeed(InferenceConfig, {...})` or `inferenceConfigLayer(partial)`.
 */
import { METADATA_LIMITS, type ProviderLimits } from "@0g-compute/core"
import { Context, Layer } from "effect"
import type { MeasurementPins } from "./attestation/pins.js"

export interface InferenceConfigShape {
  /** The HTTP implementation for every provider call (default: `globalThis.fetch`). */
  readonly fetch: typeof globalThis.fetch
  /** Deadlines and body ceiling of metadata calls (quote, models, unsettled fee). */
  readonly metadataLimits: ProviderLimits
  /** Deadlines and body ceiling of the response-signature GET. */
  readonly signatureLimits: ProviderLimits
  /**
   * Deadlines and body ceiling of a billed request. `connectMs` covers a whole non-stream generation (the headers
   * come after it); `maxBytes` bounds a stream's total bytes too.
   */
  readonly requestLimits: ProviderLimits
  /** Largest single SSE event of a stream; a longer one fails the stream with `ProviderBodyTooLarge`. */
  readonly maxSseEventBytes: number
  /**
   * After the caller aborts or stops reading, the rest of the response is still read for this long (so what the
   * provider billed is verified and recorded); then the connection is closed.
   */
  readonly drainAfterAbortMs: number
  /** Lifetime of ephemeral session tokens (≤ 24 h, the provider's limit). */
  readonly tokenLifetimeMs: number
  /** Renew a cached ephemeral token once less than this remains. */
  readonly tokenRenewMarginMs: number
  /** Attempts to fetch a response signature (older brokers sign after flushing and answer 404 briefly). */
  readonly signatureAttempts: number
  /** First back-off between signature attempts; doubles each time. */
  readonly signatureRetryDelayMs: number
  /**
   * Separated providers (their LLM TEE signs) may sign a text that does not bind the exchanged bytes. With `true`
   * (default) such a response fails with `ResponseBindingUnknown`; with `false` it passes with a `BindingUnknown` verdict.
   */
  readonly requireResponseBinding: boolean
  /**
   * The 2026 broker may rewrite a request before signing it (an upstream model id, max_tokens translation, injected
   * fields) in ways the client cannot recompute. With `false` (default) such an exchange passes as "signer-bound"
   * with the reason; with `true` it fails with `RequestAltered`.
   */
  readonly requireRequestBinding: boolean
  /** Intel TDX collateral service (PCCS) used when no collateral is supplied. */
  readonly pccsUrl: string
  /**
   * Expected measurements per provider address (any case), checked by every attestation report of that provider
   * (pins passed to `attestationReport` / `acknowledge` win). A mismatch refuses the provider whatever the opt-ins.
   */
  readonly attestationPins: Readonly<Record<string, MeasurementPins>>
  /**
   * How long a provider's service as read from chain (URL, prices, TEE signer) serves requests before the next one
   * reads it again, so a long-running client follows a provider's price change or signer rotation.
   */
  readonly serviceRefreshMs: number
}

/** How long a service read from chain serves requests before it is read again (`serviceRefreshMs`). */
export const DEFAULT_SERVICE_REFRESH_MS = 300_000

export const DEFAULT_PCCS_URL = "https://pccs.phala.network/sgx/certification/v4/"

const SIGNATURE_LIMITS: ProviderLimits = {
  connectMs: 15_000,
  firstByteMs: 15_000,
  idleMs: 15_000,
  totalMs: 20_000,
  maxBytes: 64 * 1024,
}

const REQUEST_LIMITS: ProviderLimits = {
  connectMs: 300_000,
  firstByteMs: 300_000,
  idleMs: 120_000,
  totalMs: 1_800_000,
  maxBytes: 64 * 1024 * 1024,
}

export const defaultInferenceConfig = (): InferenceConfigShape => ({
  fetch: (input, init) => globalThis.fetch(input, init),
  metadataLimits: METADATA_LIMITS,
  signatureLimits: SIGNATURE_LIMITS,
  requestLimits: REQUEST_LIMITS,
  maxSseEventBytes: 1024 * 1024,
  drainAfterAbortMs: 5_000,
  tokenLifetimeMs: 86_400_000,
  tokenRenewMarginMs: 3_600_000,
  signatureAttempts: 6,
  signatureRetryDelayMs: 50,
  requireResponseBinding: true,
  requireRequestBinding: false,
  pccsUrl: DEFAULT_PCCS_URL,
  attestationPins: {},
  serviceRefreshMs: DEFAULT_SERVICE_REFRESH_MS,
})

export const InferenceConfig = Context.Reference<InferenceConfigShape>("zg/inference/Config", {
  defaultValue: defaultInferenceConfig,
})

/** A layer overriding some tunables. */
export const inferenceConfigLayer = (overrides: Partial<InferenceConfigShape>) =>
  Layer.succeed(InferenceConfig, { ...defaultInferenceConfig(), ...overrides })
