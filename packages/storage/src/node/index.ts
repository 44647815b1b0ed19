/** Node-only entry: file hashing on worker threads, file upload and download with resume. */
import { runFacade } from "@0g-compute/core"
import { Effect, Layer } from "effect"
import {
  abortable,
  abortableUpload,
  clientLayer,
  type DownloadFacadeOptions,
  payerLayer,
  type UploadFacadeOptions,
} from "../facade.js"
import type { FileMerkle } from "../merkle/index.js"
import type { UploadResult } from "../upload.js"
import { type DownloadFileOptions, type DownloadFileResult, downloadToFile } from "./download-file.js"
import { type FileHashOptions, merkleOfFile } from "./file-root.js"
import { type UploadFileOptions, uploadFileEffect } from "./upload-file.js"

export { claimOutput } from "./claim-output.js"
export {
  createStorageClient,
  type NodeStorageClient,
  type StorageDownloadFileOptions,
  type StorageUploadFileOptions,
} from "./client.js"
export {
  type DownloadFileError,
  type DownloadFileOptions,
  type DownloadFileResult,
  downloadToFile,
} from "./download-file.js"
export { type FileHashOptions, merkleOfFile } from "./file-root.js"
export { HashPool } from "./hash-pool.js"
export { fileResumeStore, type UploadFileOptions, uploadFileEffect } from "./upload-file.js"

/** Root of the file at `path`; large files are hashed on worker threads (every core). */
export const rootOfFile = (path: string, options: FileHashOptions = {}): Promise<FileMerkle> =>
  runFacade(merkleOfFile(path, options))

export type UploadFileFacadeOptions = UploadFacadeOptions & Pick<UploadFileOptions, "resumeDir" | "hash">

/**
 * @deprecated use `createStorageClient(options)` and its `uploadFile(path, options)` (one runtime, one engine).
 *
 * Uploads the file at `path`: one hashing pass on worker threads, pay `submit` once (a tx the nodes already know is
 * reused, a finalized file is not paid again), segments with proofs in parallel batches, wait until finalized.
 * An interrupted upload resumes where it stopped when called again.
 */
export const uploadFile = (path: string, options: UploadFileFacadeOptions): Promise<UploadResult> =>
  runFacade(
    abortableUpload(options, `upload of ${path}`, (onProgress) =>
      uploadFileEffect(path, { ...options, onProgress }),
    ).pipe(Effect.provide(Layer.merge(clientLayer(options), payerLayer(options.signer, options.tx)))),
  )

export type DownloadFileFacadeOptions = Omit<DownloadFacadeOptions, "onProgress"> & DownloadFileOptions

/**
 * @deprecated use `createStorageClient(options)` and its `downloadFile(root, dest, options)`.
 *
 * Downloads `root` to `dest`: every segment proof verified, written to `<dest>.zgpart`, the whole root recomputed,
 * then renamed. An interrupted download resumes by segment when called again.
 */
export const downloadFile = (
  root: string,
  dest: string,
  options: DownloadFileFacadeOptions,
): Promise<DownloadFileResult> =>
  runFacade(
    abortable(downloadToFile(root, dest, options), options.signal, `download of ${root}`).pipe(
      Effect.provide(clientLayer(options)),
    ),
  )
