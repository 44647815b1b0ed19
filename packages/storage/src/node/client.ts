/** The Node storage client: the browser-safe `StorageClient` plus files on disk (worker-thread hashing, resume). */
import { SignerRequired } from "@0g-compute/core"
import {
  type CreateStorageClientOptions,
  type StorageCallOptions,
  type StorageClient,
  storageClientOn,
  storageRuntime,
} from "../client.js"
import { abortable, abortableUpload } from "../facade.js"
import type { FileMerkle } from "../merkle/index.js"
import type { UploadResult } from "../upload.js"
import { type DownloadFileOptions, type DownloadFileResult, downloadToFile } from "./download-file.js"
import { type FileHashOptions, merkleOfFile } from "./file-root.js"
import { type UploadFileOptions, uploadFileEffect } from "./upload-file.js"

export type StorageUploadFileOptions = StorageCallOptions & UploadFileOptions
export type StorageDownloadFileOptions = StorageCallOptions & DownloadFileOptions

export interface NodeStorageClient extends StorageClient {
  /**
   * Root of the file at `path`; large files are hashed on worker threads (every core).
   *
   * @example
   * const { root } = await storage.rootOfFile("./dataset.jsonl")
   */
  rootOfFile(path: string, options?: FileHashOptions): Promise<FileMerkle>
  /**
   * Uploads the file at `path`: one hashing pass on worker threads, pay `submit` once, segments with proofs, wait
   * until finalized. An interrupted upload resumes where it stopped when called again.
   *
   * @example
   * const { root, txHash } = await storage.uploadFile("./dataset.jsonl")
   */
  uploadFile(path: string, options?: StorageUploadFileOptions): Promise<UploadResult>
  /**
   * Downloads `root` to `dest`, every segment proof and the whole root verified before the file appears there; an
   * interrupted download resumes by segment. An existing `dest` rejects with `OutputExists` unless `overwrite`.
   *
   * @example
   * const { path, size } = await storage.downloadFile(root, "./model.bin")
   */
  downloadFile(root: string, dest: string, options?: StorageDownloadFileOptions): Promise<DownloadFileResult>
}

/**
 * A storage client with file methods. With `privateKey` or `signer` (and `rpcUrl`, `provider` or `network` unless
 * the signer has a provider) it pays uploads and checks the chain and key before resolving; without either it only
 * reads.
 *
 * @example
 * const storage = await createStorageClient({ privateKey, rpcUrl, indexerUrl, network: "devnet" })
 */
export const createStorageClient = async (options: CreateStorageClientOptions): Promise<NodeStorageClient> => {
  const rt = await storageRuntime(options)
  return {
    ...storageClientOn(rt),
    rootOfFile: (path, o = {}) => rt.reading.run(merkleOfFile(path, o)),
    uploadFile: (path, o = {}) => {
      const paying = rt.paying
      if (paying === undefined) return Promise.reject(new SignerRequired({ operation: "a storage upload" }))
      return paying.run(
        abortableUpload(o, `upload of ${path}`, (onProgress) => uploadFileEffect(path, { ...o, onProgress })),
      )
    },
    downloadFile: (root, dest, o = {}) => {
      const { signal, ...rest } = o
      return rt.reading.run(abortable(downloadToFile(root, dest, rest), signal, `download of ${root}`))
    },
  }
}
