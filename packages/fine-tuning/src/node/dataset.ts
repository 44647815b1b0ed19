/** Dataset files on Node: read, token estimate, upload through the provider route. */
import { readFile, stat } from "node:fs/promises"
import { basename } from "node:path"
import { Effect } from "effect"
import { DatasetNotFound } from "../errors.js"
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

/** Uploads a dataset file to the provider; returns its `datasetHash` and the token estimate for the fee. */
export const uploadDataset = (provider: string, path: string) =>
  Effect.gen(function* () {
    const bytes = yield* readDataset(path)
    const uploaded = yield* uploadDatasetBytes(provider, bytes, basename(path))
    return { ...uploaded, tokens: estimateTokens(bytes) }
  })
