/**
 * `createStorageClient(options)`: the Promise face of 0G Storage (root, upload, download) over one runtime, like the
 * ledger and inference clients. A key or signer pays uploads; without one the client only reads. Every method
 * rejects with the typed error itself (`err._tag` and fields intact).
 */
import { TxEngine, type TxEngineOptions } from "@0g-compute/contracts"
import {
  type FacadeRuntime,
  makeFacadeRuntime,
  makeRpcProvider,
  NETWORKS,
  type NetworkName,
  SignerRequired,
  Wallet,
  walletLayerFromOptions,
} from "@0g-compute/core"
import { Effect, Layer, type Redacted } from "effect"
import type { Provider, Signer } from "ethers"
import type { StorageConfig } from "./config.js"
import type { DownloadProgress } from "./download.js"
import {
  abortable,
  abortableBytesUpload,
  abortableDownload,
  clientLayer,
  type StorageClientOptions,
  storageChainLayer,
} from "./facade.js"
import { type ByteSource, type FileMerkle, type HashOptions, type HashProgress, merkleOf } from "./merkle/index.js"
import type { StorageRpc } from "./rpc/transport.js"
import type { UploadEnv, UploadOptions, UploadProgress, UploadResult } from "./upload.js"

/** Where storage is, and (to upload) who pays the Flow and over which chain. */
export interface CreateStorageClientOptions extends Omit<StorageClientOptions, "signal"> {
  /** Any ethers signer; without a provider it is connected to `provider` / `rpcUrl` / the preset's RPC. */
  readonly signer?: Signer
  /** Alternative to `signer`. Prefer `Redacted` so the key never prints. */
  readonly privateKey?: Redacted.Redacted<string> | string
  readonly rpcUrl?: string
  readonly provider?: Provider
  /** Expected preset: the chain must be its chain; also supplies the RPC URL when nothing else does. */
  readonly network?: NetworkName
  /** Gas controls and the pending-transaction journal of the engine that sends `submit`. */
  readonly tx?: TxEngineOptions
}

/** Per call: cancel with `signal` (the call then rejects with StorageAborted). */
export interface StorageCallOptions {
  readonly signal?: AbortSignal
}

export interface StorageUploadOptions extends StorageCallOptions, Omit<UploadOptions, "onProgress"> {
  readonly onProgress?: (p: HashProgress | UploadProgress) => void
}

export interface StorageDownloadOptions extends StorageCallOptions {
  /** The file size from the chain (`SubmissionData.length`), when known: nodes claiming another size are ignored. */
  readonly expectedSize?: number
  readonly onProgress?: (p: DownloadProgress) => void
}

/**
 * The Promise face of 0G Storage; create one with `createStorageClient(options)`. Files on disk are the Node entry's
 * (`@0g-compute/storage/node`), whose client adds `rootOfFile`, `uploadFile` and `downloadFile`.
 */
export interface StorageClient {
  /**
   * The paying wallet's checksummed address, or undefined for a read-only client.
   *
   * @example
   * const payer = storage.address // "0xf39F…2266"
   */
  readonly address: string | undefined
  /**
   * Root, submission nodes and segment roots of bytes, a Blob/File, a ReadableStream or an async iterable.
   *
   * @example
   * const { root } = await storage.root(new TextEncoder().encode("hello"))
   */
  root(input: ByteSource, options?: HashOptions): Promise<FileMerkle>
  /**
   * Uploads bytes or a Blob/File: hash, pay `submit` once (a file already paid for is not paid again), upload with
   * proofs, wait until finalized. Rejects with `SignerRequired` on a read-only client.
   *
   * @example
   * const { root, fee } = await storage.upload(bytes, { maxFee: 10n ** 15n })
   */
  upload(input: Uint8Array | Blob, options?: StorageUploadOptions): Promise<UploadResult>
  /**
   * Downloads a file by root into memory, verifying every segment proof and the final root.
   *
   * @example
   * const bytes = await storage.download(root)
   */
  download(root: string, options?: StorageDownloadOptions): Promise<Uint8Array>
  /**
   * Releases the runtime (and the RPC provider it created).
   *
   * @example
   * await storage.close()
   */
  close(): Promise<void>
}

/** What the reading methods run on; a paying client's runtime also has the chain, wallet and engine. */
export type StorageReadEnv = StorageRpc | StorageConfig
export type StoragePayEnv = UploadEnv | Wallet

/** The chain uploads pay on: the provider given (or the signer's), else `rpcUrl`, else the preset's RPC. */
const payingChain = (o: CreateStorageClientOptions) => {
  const expected = o.network === undefined ? undefined : NETWORKS[o.network].chainId
  const provider = o.provider ?? o.signer?.provider ?? undefined
  const url = o.rpcUrl ?? (o.network === undefined ? undefined : NETWORKS[o.network].rpcUrl)
  if (provider !== undefined || url === undefined) return storageChainLayer(provider, expected)
  return Layer.unwrap(
    Effect.acquireRelease(
      Effect.sync(() => makeRpcProvider(url)),
      (p) => Effect.sync(() => p.destroy()),
    ).pipe(Effect.map((p) => storageChainLayer(p, expected))),
  )
}

/** The runtimes of a client: `paying` when a key or signer was given (then it is also `reading`). */
export interface StorageRuntime {
  readonly reading: FacadeRuntime<StorageReadEnv>
  readonly paying: FacadeRuntime<StoragePayEnv> | undefined
  readonly address: string | undefined
}

/** Builds the client's runtime and, with a key or signer, checks chain and key up front (disposing on failure). */
export const storageRuntime = async (options: CreateStorageClientOptions): Promise<StorageRuntime> => {
  const transport = clientLayer(options)
  const wallet = walletLayerFromOptions(options)
  if (wallet === undefined) return { reading: makeFacadeRuntime(transport), paying: undefined, address: undefined }
  const payer = TxEngine.layer(options.tx).pipe(Layer.provideMerge(Layer.provideMerge(wallet, payingChain(options))))
  const paying = makeFacadeRuntime(Layer.merge(transport, payer))
  try {
    const address = await paying.run(Wallet.use((w) => Effect.succeed(w.address)))
    return { reading: paying, paying, address }
  } catch (e) {
    await paying.dispose()
    throw e
  }
}

/** The browser-safe methods over a built runtime (the Node client adds its file methods to these). */
export const storageClientOn = (rt: StorageRuntime): StorageClient => ({
  address: rt.address,
  root: (input, o = {}) => rt.reading.run(abortable(merkleOf(input, o), o.signal, "hashing")),
  upload: (input, o = {}) => {
    const paying = rt.paying
    if (paying === undefined) return Promise.reject(new SignerRequired({ operation: "a storage upload" }))
    return paying.run(abortableBytesUpload(input, o))
  },
  download: (root, o = {}) => rt.reading.run(abortableDownload(root, o)),
  close: () => rt.reading.dispose(),
})

/**
 * A storage client. With `privateKey` or `signer` (and `rpcUrl`, `provider` or `network` unless the signer has a
 * provider) it pays uploads and checks the chain and key before resolving; without either it only reads. The
 * indexer (`indexerUrl`) or nodes (`nodeUrls`) are where files are found.
 *
 * @example
 * const storage = await createStorageClient({ privateKey, rpcUrl, indexerUrl, network: "devnet" })
 */
export const createStorageClient = async (options: CreateStorageClientOptions): Promise<StorageClient> =>
  storageClientOn(await storageRuntime(options))
