/** Where the storage network is and how hard to work it: one service, defaults for everything but the endpoints. */
import { Context, Layer } from "effect"

export interface StorageOptions {
  /** Indexer JSON-RPC URL (node discovery and file locations). */
  readonly indexerUrl?: string
  /** Storage node URLs used directly (in addition to, or instead of, the indexer). */
  readonly nodeUrls?: ReadonlyArray<string>
  /**
   * The Flow contract uploads pay. Default: the network preset's for the signer's chain; without either an upload
   * fails with FlowNotPinned. Nodes reporting another Flow (or another chain) are refused.
   */
  readonly flowAddress?: string
  /** The market the Flow must report. Default: the preset's, when `flowAddress` is the preset's Flow. */
  readonly marketAddress?: string
  /** Concurrent segment requests (upload and download). Default 6. */
  readonly concurrency?: number
  /** Segments per `zgs_uploadSegmentsByTxSeq` request. Default 4. */
  readonly segmentsPerRequest?: number
  /** Poll interval while waiting for nodes (tx seen, finalized). Default 1000 ms. */
  readonly pollIntervalMs?: number
  /** Give up waiting for nodes after this long. Default 300 000 ms. */
  readonly waitTimeoutMs?: number
  /** Attempts per request on transient errors. Default 4. */
  readonly attempts?: number
  /**
   * Finding a file's copies (asking the listed nodes, proving the size) ends after this long with what answered by
   * then. Default 60 000 ms.
   */
  readonly locateTimeoutMs?: number
  /** Copies to upload: nodes are selected until every shard is covered this many times. Default 1. */
  readonly replicas?: number
}

export interface StorageConfigShape {
  readonly indexerUrl: string | undefined
  readonly nodeUrls: ReadonlyArray<string>
  readonly flowAddress: string | undefined
  readonly marketAddress: string | undefined
  readonly concurrency: number
  readonly segmentsPerRequest: number
  readonly pollIntervalMs: number
  readonly waitTimeoutMs: number
  readonly attempts: number
  readonly locateTimeoutMs: number
  readonly replicas: number
}

export class StorageConfig extends Context.Service<StorageConfig, StorageConfigShape>()("zg/storage/StorageConfig") {}

const positive = (v: number | undefined, fallback: number) =>
  v !== undefined && Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback

export const makeStorageConfig = (o: StorageOptions): StorageConfigShape => ({
  indexerUrl: o.indexerUrl,
  nodeUrls: o.nodeUrls ?? [],
  flowAddress: o.flowAddress,
  marketAddress: o.marketAddress,
  concurrency: positive(o.concurrency, 6),
  segmentsPerRequest: positive(o.segmentsPerRequest, 4),
  pollIntervalMs: positive(o.pollIntervalMs, 1000),
  waitTimeoutMs: positive(o.waitTimeoutMs, 300_000),
  attempts: positive(o.attempts, 4),
  locateTimeoutMs: positive(o.locateTimeoutMs, 60_000),
  replicas: positive(o.replicas, 1),
})

export const storageConfigLayer = (o: StorageOptions): Layer.Layer<StorageConfig> =>
  Layer.succeed(StorageConfig, StorageConfig.of(makeStorageConfig(o)))
