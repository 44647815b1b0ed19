/** Dataset files on Node: read, token estimate, upload through the provider route. */
import { readFile, stat } from "node:fs/promises"
import { basename } from "node:path"
import { Wallet } from "@0g-compute/core"
import { uploadFile } from "@0g-compute/storage/node"
import { Effect } from "effect"
import { FineTuningConfig } from "../config.js"
import { DatasetNotFound, StorageTransferFailed } from "../errors.js"
import { uploadDatasetBytes } from "../tasks.js"
import { estimateTokens } from "../training.js"

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
    const wallet = yield* Wallet
    const bytes = yield* readDataset(path)
    const tokens = estimateTokens(bytes)
    const storage = (yield* FineTuningConfig).storage
    if (storage !== undefined && options.via !== "provider") {
      const stored = yield* Effect.tryPromise({
        try: () => uploadFile(path, { ...storage, signer: wallet.signer, resumeDir: false }),
        catch: (cause) => new StorageTransferFailed({ operation: "upload", cause }),
      })
      return { datasetHash: stored.root as string, bytes: bytes.length, tokens, via: "storage" as const }
    }
    const uploaded = yield* uploadDatasetBytes(provider, bytes, basename(path))
    return { ...uploaded, tokens, via: "provider" as const }
  })
