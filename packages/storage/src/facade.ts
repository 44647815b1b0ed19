/**
 * Promise facade of the browser-safe entry: thin wrappers that build the layers from plain options and reject with
 * the typed errors themselves (`err._tag`, fields intact).
 */
import { runFacade, walletLayerFromSigner } from "@0g-compute/core"
import { Effect, Layer } from "effect"
import type { Signer } from "ethers"
import { type StorageOptions, storageConfigLayer } from "./config.js"
import { type DownloadProgress, downloadBytesEffect } from "./download.js"
import { StorageAborted } from "./errors.js"
import { type ByteSource, type FileMerkle, type HashOptions, type HashProgress, merkleOf } from "./merkle/index.js"
import { type FetchRpcOptions, storageRpcLayer } from "./rpc/transport.js"
import { type UploadOptions, type UploadProgress, type UploadResult, uploadBytesEffect } from "./upload.js"

/** Interrupts `eff` (cancelling its requests) when `signal` aborts, failing with {@link StorageAborted}. */
export const abortable = <A, E, R>(
  eff: Effect.Effect<A, E, R>,
  signal: AbortSignal | undefined,
  what: string,
): Effect.Effect<A, E | StorageAborted, R> => {
  if (!signal) return eff
  const aborted = Effect.callback<never, StorageAborted>((resume) => {
    const fire = () => resume(Effect.fail(new StorageAborted({ what })))
    if (signal.aborted) fire()
    else signal.addEventListener("abort", fire, { once: true })
    return Effect.sync(() => signal.removeEventListener("abort", fire))
  })
  return Effect.raceFirst(eff, aborted)
}

/** Where the storage network is, plus transport tuning. */
export interface StorageClientOptions extends StorageOptions {
  /** Custom fetch (e.g. with a proxy agent). */
  readonly fetch?: typeof fetch
  /** Per-request timeout (default 30 s). */
  readonly requestTimeoutMs?: number
  /** Cancels the operation (pending requests are aborted); it then rejects with StorageAborted. */
  readonly signal?: AbortSignal
}

export type AnyProgress = HashProgress | UploadProgress | DownloadProgress

export interface UploadFacadeOptions extends StorageClientOptions, Omit<UploadOptions, "onProgress"> {
  /** Pays the Flow fee and signs `submit`. */
  readonly signer: Signer
  readonly onProgress?: (p: HashProgress | UploadProgress) => void
}

export interface DownloadFacadeOptions extends StorageClientOptions {
  /** The file size from the chain (`SubmissionData.length`), when known: nodes claiming another size are ignored. */
  readonly expectedSize?: number
  readonly onProgress?: (p: DownloadProgress) => void
}

/** The StorageRpc + StorageConfig layer for plain options. */
export const clientLayer = (o: StorageClientOptions) => {
  const rpc: FetchRpcOptions = {
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...(o.requestTimeoutMs !== undefined ? { timeoutMs: o.requestTimeoutMs } : {}),
  }
  return Layer.merge(storageRpcLayer(rpc), storageConfigLayer(o))
}

/** Root, submission nodes and segment roots of bytes, a Blob/File, a ReadableStream or an async iterable. */
export const computeRoot = (input: ByteSource, options: HashOptions = {}): Promise<FileMerkle> =>
  runFacade(abortable(merkleOf(input, options), options.signal, "hashing"))

/** Uploads bytes or a Blob/File (hash, pay once, upload with proofs, wait until finalized). */
export const uploadBytes = (input: Uint8Array | Blob, options: UploadFacadeOptions): Promise<UploadResult> => {
  const { onProgress } = options
  return runFacade(
    abortable(
      uploadBytesEffect(input, { ...options, ...(onProgress ? { onProgress, onHashProgress: onProgress } : {}) }),
      options.signal,
      "upload",
    ).pipe(Effect.provide(Layer.merge(clientLayer(options), walletLayerFromSigner(options.signer)))),
  )
}

/** Downloads a file by root into memory, verifying every segment proof and the final root. */
export const downloadBytes = (root: string, options: DownloadFacadeOptions): Promise<Uint8Array> =>
  runFacade(
    abortable(
      downloadBytesEffect(root, {
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.expectedSize !== undefined ? { expectedSize: options.expectedSize } : {}),
      }),
      options.signal,
      `download of ${root}`,
    ).pipe(Effect.provide(clientLayer(options))),
  )
