/**
 * Tunables of the fine-tuning client, as an Effect `Context.Reference` with defaults: provide another value with
 * `fineTuningConfigLayer(options)` (what `fineTuningLayerOn` does) or `Layer.succeed(FineTuningConfig, {...})`.
 */
import { MODEL_CHUNK_SIZE } from "@0g-compute/crypto"
import { Context, Layer } from "effect"
import { defaultFineTuningHttpLimits, type FineTuningHttpLimits } from "./http.js"

/** 0G Storage endpoints for dataset upload and model download (the provider route is the fallback). */
export interface FineTuningStorageOptions {
  readonly indexerUrl: string
  readonly flowAddress?: string
  readonly nodeUrls?: ReadonlyArray<string>
  readonly pollIntervalMs?: number
  /**
   * Where an interrupted dataset upload remembers the submit it paid, so that a rerun (even by a new process, before
   * the nodes have seen the submit) resumes it instead of paying again. Default: storage's, under the OS temp dir.
   */
  readonly resumeDir?: string
}

/** The settings a caller may give; every one has a default (see `FineTuningConfigShape`). */
export interface FineTuningOptions {
  /** fetch implementation (default: the global one). */
  readonly fetch?: typeof globalThis.fetch
  /** First task-poll interval in ms; doubles while nothing changes (default 1000). */
  readonly pollIntervalMs?: number
  /** Upper bound of the poll backoff (default 15 000). */
  readonly maxPollIntervalMs?: number
  /** Plaintext bytes per encrypted model chunk (default 64 MiB, what providers use). */
  readonly chunkSize?: number
  /** A download that receives nothing for this long is aborted (default 60 000 ms; no total timeout). */
  readonly downloadIdleTimeoutMs?: number
  /** The provider's acknowledgement timeout assumed for warnings (default 6 h, capped at lockTime / 2). */
  readonly assumedAckTimeoutSeconds?: number
  /** Use 0G Storage for datasets and models; without it, the provider's own routes are used. */
  readonly storage?: FineTuningStorageOptions
  /** Deadlines and body ceilings of provider calls, per kind (defaults: `defaultFineTuningHttpLimits`). */
  readonly providerLimits?: Partial<FineTuningHttpLimits>
}

export interface FineTuningConfigShape {
  readonly fetch: typeof globalThis.fetch
  readonly pollIntervalMs: number
  readonly maxPollIntervalMs: number
  readonly chunkSize: number
  readonly downloadIdleTimeoutMs: number
  readonly assumedAckTimeoutSeconds: number
  readonly storage: FineTuningStorageOptions | undefined
  readonly providerLimits: FineTuningHttpLimits
}

/** The options with their defaults filled in (the download limits follow `downloadIdleTimeoutMs`). */
export const fineTuningConfig = (options: FineTuningOptions = {}): FineTuningConfigShape => ({
  fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  pollIntervalMs: options.pollIntervalMs ?? 1000,
  maxPollIntervalMs: options.maxPollIntervalMs ?? 15_000,
  chunkSize: options.chunkSize ?? MODEL_CHUNK_SIZE,
  downloadIdleTimeoutMs: options.downloadIdleTimeoutMs ?? 60_000,
  assumedAckTimeoutSeconds: options.assumedAckTimeoutSeconds ?? 6 * 3600,
  storage: options.storage,
  providerLimits: { ...defaultFineTuningHttpLimits(options.downloadIdleTimeoutMs), ...options.providerLimits },
})

export const FineTuningConfig = Context.Reference<FineTuningConfigShape>("zg/fine-tuning/Config", {
  defaultValue: () => fineTuningConfig(),
})

/** A layer setting the tunables from options (unset ones take their defaults). */
export const fineTuningConfigLayer = (options: FineTuningOptions = {}) =>
  Layer.succeed(FineTuningConfig, fineTuningConfig(options))
