/**
 * 0G Storage transfers of fine-tuning, as effects on the caller's connection stack: storage adds only its RPC
 * transport and settings, so an upload's Flow `submit` goes through the stack's own `TxEngine` (one nonce writer per
 * signer) and is interrupted with the program. Storage's typed error is the `cause` of `StorageTransferFailed`.
 */
import { clientLayer } from "@0g-compute/storage"
import { downloadToFile, uploadFileEffect } from "@0g-compute/storage/node"
import { Effect } from "effect"
import type { FineTuningStorageOptions } from "../config.js"
import { StorageTransferFailed } from "../errors.js"

/**
 * Uploads the file at `path`, remembering the paid submit in `storage.resumeDir`: without it a rerun after an
 * interruption, by a new process whose transaction journal is empty and before the nodes saw the submit, paid again.
 */
export const uploadToStorage = (storage: FineTuningStorageOptions, path: string) =>
  uploadFileEffect(path, storage.resumeDir === undefined ? {} : { resumeDir: storage.resumeDir }).pipe(
    Effect.provide(clientLayer(storage)),
    Effect.mapError((cause) => new StorageTransferFailed({ operation: "upload", cause })),
  )

/** Downloads `root` to `outPath` (replacing it only with `overwrite`), every segment proof and the root verified first. */
export const downloadFromStorage = (
  storage: FineTuningStorageOptions,
  root: string,
  outPath: string,
  overwrite: boolean,
) =>
  downloadToFile(root, outPath, { overwrite }).pipe(
    Effect.provide(clientLayer(storage)),
    Effect.mapError((cause) => new StorageTransferFailed({ operation: "download", cause })),
  )
