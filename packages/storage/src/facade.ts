/**
 * Promise facade of the browser-safe entry: thin wrappers that build the layers from plain options and reject with
 * the typed errors themselves (`err._tag`, fields intact).
 */
import { TxEngine, type TxEngineOptions } from "@0g-compute/contracts"
import {
  Chain,
  ChainMismatch,
  ConnectionRequired,
  networkForChainId,
  RpcError,
  runFacade,
  walletLayerFromSigner,
} from "@0g-compute/core"
import { Effect, Layer, Option } from "effect"
import { type Provider, type Signer, ZeroAddress } from "ethers"
import { type StorageOptions, storageConfigLayer } from "./config.js"
import { type DownloadProgress, downloadBytesEffect } from "./download.js"
import { StorageAborted } from "./errors.js"
import { type ByteSource, type FileMerkle, type HashOptions, type HashProgress, merkleOf } from "./merkle/index.js"
import { type FetchRpcOptions, StorageRpc } from "./rpc/transport.js"
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

/**
 * Runs an upload under an abort signal. The paying tx the upload reports is remembered, so an abort after payment
 * names it (the re-run resumes that payment). `upload` gets the progress callback to pass on.
 */
export const abortableUpload = <A, E, R, P extends { readonly phase: string }>(
  options: { readonly onProgress?: ((p: P) => void) | undefined; readonly signal?: AbortSignal | undefined },
  what: string,
  upload: (onProgress: (p: P) => void) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | StorageAborted, R> => {
  let txHash: string | undefined
  const onProgress = (p: P) => {
    const hash = (p as { readonly txHash?: unknown }).txHash
    if ((p.phase === "submit" || p.phase === "wait-tx") && typeof hash === "string") txHash = hash
    options.onProgress?.(p)
  }
  return abortable(upload(onProgress), options.signal, what).pipe(
    Effect.mapError((e) =>
      txHash !== undefined && e instanceof StorageAborted && e.txHash === undefined
        ? new StorageAborted({ what: e.what, txHash })
        : e,
    ),
  )
}

/** Uploads bytes or a Blob under an abort signal (both Promise faces); hashing progress goes to the same callback. */
export const abortableBytesUpload = (
  input: Uint8Array | Blob,
  options: Omit<UploadOptions, "onProgress"> & {
    readonly onProgress?: ((p: HashProgress | UploadProgress) => void) | undefined
    readonly signal?: AbortSignal | undefined
  },
) =>
  abortableUpload(options, "upload", (onProgress) =>
    uploadBytesEffect(input, { ...options, onProgress, ...(options.onProgress ? { onHashProgress: onProgress } : {}) }),
  )

/** Downloads `root` into memory under an abort signal (both Promise faces). */
export const abortableDownload = (
  root: string,
  options: {
    readonly expectedSize?: number | undefined
    readonly onProgress?: ((p: DownloadProgress) => void) | undefined
    readonly signal?: AbortSignal | undefined
  },
) =>
  abortable(
    downloadBytesEffect(root, {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.expectedSize !== undefined ? { expectedSize: options.expectedSize } : {}),
    }),
    options.signal,
    `download of ${root}`,
  )

/** Where the storage network is, plus transport tuning. */
export interface StorageClientOptions extends StorageOptions {
  /** Custom fetch (e.g. with a proxy agent). */
  readonly fetch?: typeof fetch
  /** Per-request total timeout (default 30 s). */
  readonly requestTimeoutMs?: number
  /** Connect + response headers deadline (default 15 s). */
  readonly firstByteTimeoutMs?: number
  /** Longest pause inside a response body (default 15 s). */
  readonly idleTimeoutMs?: number
  /** Largest JSON-RPC reply accepted from a node or indexer (default 4 MiB; segments: their declared size). */
  readonly maxResponseBytes?: number
  /** Cancels the operation (pending requests are aborted); it then rejects with StorageAborted. */
  readonly signal?: AbortSignal
}

export type AnyProgress = HashProgress | UploadProgress | DownloadProgress

export interface UploadFacadeOptions extends StorageClientOptions, Omit<UploadOptions, "onProgress"> {
  /** Pays the Flow fee and signs `submit` (through the transaction engine); must be connected to a provider. */
  readonly signer: Signer
  /** Gas controls and the pending-transaction journal of the engine that sends `submit`. */
  readonly tx?: TxEngineOptions
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
    ...(o.firstByteTimeoutMs !== undefined ? { firstByteTimeoutMs: o.firstByteTimeoutMs } : {}),
    ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
    ...(o.maxResponseBytes !== undefined ? { maxResponseBytes: o.maxResponseBytes } : {}),
  }
  return Layer.merge(StorageRpc.layer(rpc), storageConfigLayer(o))
}

const NO_COMPUTE_CONTRACTS = { ledger: ZeroAddress, inference: ZeroAddress, fineTuning: ZeroAddress }

/**
 * `Chain` over `provider` for storage: any chain id (storage needs no compute contracts); with `expectedChainId` (a
 * preset's) another chain is a ChainMismatch.
 */
export const storageChainLayer = (provider: Provider | undefined, expectedChainId?: bigint) =>
  Layer.effect(
    Chain,
    Effect.gen(function* () {
      if (!provider) return yield* new ConnectionRequired({ detail: "the storage signer has no provider" })
      const net = yield* Effect.tryPromise({
        try: () => provider.getNetwork(),
        catch: (cause) => new RpcError({ method: "eth_chainId", cause }),
      })
      // A provider with a static network never asks the node: ask once, so nodes are checked against the real chain.
      const send = (provider as { send?: (method: string, params: unknown[]) => Promise<unknown> }).send
      if (typeof send === "function") {
        const raw = yield* Effect.tryPromise({
          try: () => send.call(provider, "eth_chainId", []),
          catch: (cause) => new RpcError({ method: "eth_chainId", cause }),
        })
        if (typeof raw !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(raw)) {
          return yield* new RpcError({ method: "eth_chainId", cause: "the answer is not a chain id" })
        }
        if (BigInt(raw) !== net.chainId) return yield* new ChainMismatch({ expected: net.chainId, actual: BigInt(raw) })
      }
      if (expectedChainId !== undefined && net.chainId !== expectedChainId) {
        return yield* new ChainMismatch({ expected: expectedChainId, actual: net.chainId })
      }
      const preset = Option.getOrUndefined(yield* Effect.option(networkForChainId(net.chainId)))
      return Chain.of({
        provider,
        chainId: net.chainId,
        network: preset,
        contracts: preset?.contracts ?? NO_COMPUTE_CONTRACTS,
      })
    }),
  )

/**
 * `Chain` (the signer's provider, any chain id: storage needs no compute contracts), `Wallet` and the `TxEngine`
 * that pays the Flow.
 */
export const payerLayer = (signer: Signer, tx?: TxEngineOptions) => {
  const engine = TxEngine.layer(tx)
  return engine.pipe(
    Layer.provideMerge(Layer.merge(storageChainLayer(signer.provider ?? undefined), walletLayerFromSigner(signer))),
  )
}

/** Root, submission nodes and segment roots of bytes, a Blob/File, a ReadableStream or an async iterable. */
export const computeRoot = (input: ByteSource, options: HashOptions = {}): Promise<FileMerkle> =>
  runFacade(abortable(merkleOf(input, options), options.signal, "hashing"))

/**
 * Uploads bytes or a Blob/File (hash, pay once, upload with proofs, wait until finalized).
 *
 * @deprecated use `createStorageClient(options)` and its `upload(input, options)` (one runtime, one engine).
 */
export const uploadBytes = (input: Uint8Array | Blob, options: UploadFacadeOptions): Promise<UploadResult> =>
  runFacade(
    abortableBytesUpload(input, options).pipe(
      Effect.provide(Layer.merge(clientLayer(options), payerLayer(options.signer, options.tx))),
    ),
  )

/**
 * Downloads a file by root into memory, verifying every segment proof and the final root.
 *
 * @deprecated use `createStorageClient(options)` and its `download(root, options)`.
 */
export const downloadBytes = (root: string, options: DownloadFacadeOptions): Promise<Uint8Array> =>
  runFacade(abortableDownload(root, options).pipe(Effect.provide(clientLayer(options))))
