/**
 * Tunables of the inference client, as an Effect `Context.Reference` with defaults: provide a different value with
 * `Layer.succeed(InferenceConfig, {...})` or `inferenceConfigLayer(partial)`.
 */
import { Context, Layer } from "effect"

export interface InferenceConfigShape {
  /** The HTTP implementation for every provider call (default: `globalThis.fetch`). */
  readonly fetch: typeof globalThis.fetch
  /** Timeout of metadata calls (quote, models, signature, unsettled fee). */
  readonly httpTimeoutMs: number
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
  /** Intel TDX collateral service (PCCS) used when no collateral is supplied. */
  readonly pccsUrl: string
}

export const DEFAULT_PCCS_URL = "https://pccs.phala.network/sgx/certification/v4/"

export const defaultInferenceConfig = (): InferenceConfigShape => ({
  fetch: (input, init) => globalThis.fetch(input, init),
  httpTimeoutMs: 15_000,
  tokenLifetimeMs: 86_400_000,
  tokenRenewMarginMs: 3_600_000,
  signatureAttempts: 6,
  signatureRetryDelayMs: 50,
  requireResponseBinding: true,
  pccsUrl: DEFAULT_PCCS_URL,
})

export const InferenceConfig = Context.Reference<InferenceConfigShape>("zg/inference/Config", {
  defaultValue: defaultInferenceConfig,
})

/** A layer overriding some tunables. */
export const inferenceConfigLayer = (overrides: Partial<InferenceConfigShape>) =>
  Layer.succeed(InferenceConfig, { ...defaultInferenceConfig(), ...overrides })
