/** Dataset files on Node: read, token estimate, upload to 0G Storage (on the connection stack) or the provider route. */
import { readFile, stat } from "node:fs/promises"
import { basename } from "node:path"
import { Effect } from "effect"
import { FineTuningConfig } from "../config.js"
import { DatasetNotFound } from "../errors.js"
import { uploadDatasetBytes } from "../task-create.js"
import { estimateTokens } from "../training.js"
import { uploadToStorage } from "./storage.js"

/** The SDK's default dataset cap (providers answer 413 beyond their limit). */
export const MAX_DATASET_BYTES = 100 * 1024 * 1024

/** Reads a JSONL dataset; a missing, empty or oversized file is `DatasetNotFound` with the reason. */
export const readDataset = (path: string) =>
  Effect.gen(function* () {
    const info = yield* Effect.tryPromise({
      try: () => stat(path),
      catch: () => new DatasetNotFound({ dataset: path, reason: "no such file" }),
    })
    if (!info.isFile()) return yield* new DatasetNotFound({ dataset: path, reason: "not a file" })
    if (info.size === 0) return yield* new DatasetNotFound({ dataset: path, reason: "the file is empty" })
    if (info.size > MAX_DATASET_BYTES) {
      return yield* new DatasetNotFound({ dataset: path, reason: `larger than ${MAX_DATASET_BYTES} bytes` })
    }
    const bytes = yield* Effect.tryPromise({
      try: () => readFile(path),
      catch: () => new DatasetNotFound({ dataset: path, reason: "unreadable" }),
    })
    return new Uint8Array(bytes)
  })

export interface UploadDatasetOptions {
  /** "storage" (default when storage is configured): 0G Storage, datasetHash = its root; "provider": the provider route. */
  readonly via?: "storage" | "provider"
}

/** Uploads a dataset file; returns its `datasetHash` and the token estimate for the fee. */
export const uploadDataset = (provider: string, path: string, options: UploadDatasetOptions = {}) =>
  Effect.gen(function* () {
    const bytes = yield* readDataset(path)
    const tokens = estimateTokens(bytes)
    const storage = (yield* FineTuningConfig).storage
    if (storage !== undefined && options.via !== "provider") {
      // On the stack's Chain and TxEngine: the Flow payment is one more transaction of this signer's one engine.
      const stored = yield* uploadToStorage(storage, path)
      return { datasetHash: stored.root as string, bytes: bytes.length, tokens, via: "storage" as const }
    }
    const uploaded = yield* uploadDatasetBytes(provider, bytes, basename(path))
    return { ...uploaded, tokens, via: "provider" as const }
  })
