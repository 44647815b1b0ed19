/**
 * Upload (browser-safe core): hash once; pay only the pinned Flow (from the options or the network preset) on our own
 * chain, refusing nodes that report another chain or Flow; compute the fee locally and bound it by `maxFee`; reuse a
 * tx the nodes already know (never pay twice), otherwise pay `submit` through the transaction engine and read the
 * txSeq from the receipt; wait until the nodes see the tx, upload segments with proofs in bounded parallel batches
 * with retry, wait until finalized.
 */
import type { TxEngine } from "@0g-compute/contracts"
import { Chain, type InvalidAddress, networkForChainId, parseAddress, type StorageContracts } from "@0g-compute/core"
import { Effect } from "effect"
import { StorageConfig } from "./config.js"
import { SEGMENT_SIZE } from "./constants.js"
import {
  type EmptyFile,
  FlowAddressMismatch,
  FlowNotPinned,
  type MarketAddressMismatch,
  type MarketNotPinned,
  NodeChainMismatch,
  NodeMisbehaved,
  type NodeRpcError,
  type NoStorageNodes,
  SourceReadError,
  type StorageAborted,
  type StorageFeeAboveMax,
  StorageTimeout,
  UploadFailed,
} from "./errors.js"
import type { StorageQuote, SubmitError } from "./flow.js"
import { answeringUploadNodes, coversSegment, type NodeRef } from "./locate.js"
import {
  type FileMerkle,
  type HashProgress,
  loadKeccak,
  merkleOf,
  SegmentTree,
  segmentWireLength,
} from "./merkle/index.js"
import { payOnce } from "./payment.js"
import { pollUntil, retryTransient } from "./poll.js"
import { isAlreadyFinalized, zgs } from "./rpc/node-api.js"
import type { StorageRpc } from "./rpc/transport.js"
import type { FileInfo } from "./rpc/types.js"
import { type SegmentPayload, UploadBodyEncoder } from "./upload-body.js"

/** Random access to the bytes being uploaded (a file, a Blob, memory). */
export interface RandomAccessSource {
  readonly size: number
  /** Bytes [offset, offset + length), clipped at the end of the source. */
  readonly read: (offset: number, length: number) => Promise<Uint8Array>
  /** Optional zero-allocation read into `target`; resolves to the bytes read (fewer only at the end). */
  readonly readInto?: (offset: number, target: Uint8Array) => Promise<number>
}

export const bytesSource = (bytes: Uint8Array): RandomAccessSource => ({
  size: bytes.length,
  read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
})

export const blobSource = (blob: Blob): RandomAccessSource => ({
  size: blob.size,
  read: async (offset, length) =>
    new Uint8Array(await blob.slice(offset, Math.min(blob.size, offset + length)).arrayBuffer()),
})

/**
 * What a resumable upload remembers: the submit it paid once (a marker with neither field while one may be being
 * signed; the hash once the node accepted it; the txSeq once mined) and the segments each node already accepted.
 */
export interface UploadState {
  readonly root: string
  readonly size: number
  /** The Flow paid. */
  readonly flow?: string
  readonly txHash?: string
  readonly txSeq?: number
  readonly done: Readonly<Record<string, ReadonlyArray<number>>>
}

export interface UploadResumeStore {
  readonly load: (root: string) => Promise<UploadState | undefined>
  readonly save: (state: UploadState) => Promise<void>
  readonly clear: (root: string) => Promise<void>
}

export type UploadProgress =
  | ({ readonly phase: "fee" } & StorageQuote)
  | { readonly phase: "submit"; readonly txHash: string; readonly fee: bigint }
  | { readonly phase: "wait-tx"; readonly txSeq: number; readonly txHash?: string }
  | { readonly phase: "upload"; readonly segmentsDone: number; readonly segmentsTotal: number }
  | { readonly phase: "finalize"; readonly txSeq: number }

export interface UploadOptions {
  readonly tags?: string
  /**
   * Ceiling for the storage fee in neuron (default: the fee computed locally from the file and the pinned market's
   * price). A higher fee fails with StorageFeeAboveMax before anything is sent. Required when the market is not
   * pinned (an explicit Flow other than the preset's without `marketAddress`), else MarketNotPinned.
   */
  readonly maxFee?: bigint
  readonly onProgress?: (p: UploadProgress) => void
  readonly resume?: UploadResumeStore
}

export interface UploadResult {
  readonly root: `0x${string}`
  readonly size: number
  readonly txSeq: number
  /**
   * The submit that paid for the file: this call's, or an earlier run's that this call resumed (then `fee` and
   * `gasFee` are 0). Undefined when the nodes already knew the file from a payment we have no record of.
   */
  readonly txHash: string | undefined
  /** Storage fee paid to the Flow (sectors × pricePerSector), in neuron; 0 when nothing was paid. */
  readonly fee: bigint
  /** Gas paid for the submit transaction, in neuron; 0 when nothing was sent. */
  readonly gasFee: bigint
  /** True when the file was already finalized before this call. */
  readonly alreadyStored: boolean
}

export type UploadError =
  | NoStorageNodes
  | NodeRpcError
  | FlowNotPinned
  | InvalidAddress
  | FlowAddressMismatch
  | NodeChainMismatch
  | MarketAddressMismatch
  | MarketNotPinned
  | StorageFeeAboveMax
  | SubmitError
  | NodeMisbehaved
  | StorageTimeout
  | UploadFailed
  | SourceReadError

export type UploadEnv = StorageRpc | StorageConfig | Chain | TxEngine

/** The Flow (and market, when known) uploads on this chain may pay: the options' or the network preset's. */
export const pinnedStorage: Effect.Effect<
  { readonly flow: string; readonly market: string | undefined },
  FlowNotPinned | InvalidAddress,
  StorageConfig | Chain
> = Effect.gen(function* () {
  const cfg = yield* StorageConfig
  const chain = yield* Chain
  const preset: StorageContracts | undefined =
    chain.network?.storageContracts ??
    (yield* networkForChainId(chain.chainId).pipe(
      Effect.map((n) => n.storageContracts),
      Effect.orElseSucceed(() => undefined),
    ))
  const flow = cfg.flowAddress === undefined ? preset?.flow : yield* parseAddress(cfg.flowAddress)
  if (flow === undefined) return yield* new FlowNotPinned({ chainId: chain.chainId })
  const sameFlow = preset !== undefined && preset.flow.toLowerCase() === flow.toLowerCase()
  const market =
    cfg.marketAddress !== undefined ? yield* parseAddress(cfg.marketAddress) : sameFlow ? preset.market : undefined
  return { flow, market }
})

/** A node must serve our chain and the pinned Flow: a node naming another Flow could redirect our payment. */
const checkNode = (n: NodeRef, flow: string) =>
  Effect.gen(function* () {
    const chain = yield* Chain
    const s = yield* zgs.getStatus(n.url)
    const reported = BigInt(s.networkIdentity.chainId)
    if (reported !== chain.chainId) {
      return yield* new NodeChainMismatch({ node: n.url, expected: chain.chainId, reported })
    }
    if (s.networkIdentity.flowAddress.toLowerCase() !== flow.toLowerCase()) {
      return yield* new FlowAddressMismatch({ node: n.url, expected: flow, reported: s.networkIdentity.flowAddress })
    }
  })

const knownTx = (merkle: FileMerkle, nodes: ReadonlyArray<NodeRef>) =>
  Effect.forEach(
    nodes,
    (n) => zgs.getFileInfo(n.url, merkle.root, false).pipe(Effect.orElseSucceed((): FileInfo | null => null)),
    { concurrency: 8 },
  ).pipe(
    Effect.map((infos) => {
      const same = infos.filter((i): i is FileInfo => i !== null && i.tx.size === merkle.layout.size)
      return {
        allFinalized: same.length === nodes.length && same.every((i) => i.finalized),
        tx: (same.find((i) => i.finalized) ?? same[0])?.tx,
      }
    }),
  )

/** Uploads `src` (whose merkle data is `merkle`) and returns once every selected node finalized it. */
export const uploadWithMerkle = (
  src: RandomAccessSource,
  merkle: FileMerkle,
  options: UploadOptions = {},
): Effect.Effect<UploadResult, UploadError, UploadEnv> =>
  Effect.gen(function* () {
    const root = merkle.root
    const size = merkle.layout.size
    const pinned = yield* pinnedStorage
    // Before anything is paid: an unreachable selected node is replaced by another covering its shards.
    const nodes = yield* answeringUploadNodes((n) => checkNode(n, pinned.flow))
    const existing = yield* knownTx(merkle, nodes)
    const saved = yield* Effect.promise(async () => options.resume?.load(root))
    const resumable = saved && saved.size === size ? saved : undefined
    if (existing.allFinalized && existing.tx) {
      return { root, size, txSeq: existing.tx.seq, txHash: undefined, fee: 0n, gasFee: 0n, alreadyStored: true }
    }
    const paid =
      existing.tx !== undefined
        ? { txSeq: existing.tx.seq, txHash: resumable?.txHash, fee: 0n, gasFee: 0n }
        : resumable?.txSeq !== undefined
          ? { txSeq: resumable.txSeq, txHash: resumable.txHash, fee: 0n, gasFee: 0n }
          : yield* payOnce(pinned, merkle, options, resumable)
    return yield* uploadPaid(src, merkle, nodes, options, resumable, paid).pipe(
      Effect.mapError((e) => withPaidTx(e, paid.txHash)),
    )
  })

/** After payment every failure names the paying tx, so the caller knows a re-run resumes it (never pays again). */
const withPaidTx = <E>(e: E, txHash: string | undefined): E => {
  if (txHash === undefined || typeof e !== "object" || e === null || !("_tag" in e)) return e
  const err = e as unknown as StorageTimeout | NodeMisbehaved | UploadFailed | SourceReadError
  switch (err._tag) {
    case "StorageTimeout":
      return new StorageTimeout({ what: err.what, waitedMs: err.waitedMs, txHash }) as E
    case "NodeMisbehaved":
      return new NodeMisbehaved({ node: err.node, detail: err.detail, txHash }) as E
    case "UploadFailed":
      return new UploadFailed({ root: err.root, txSeq: err.txSeq, detail: err.detail, txHash }) as E
    case "SourceReadError":
      return new SourceReadError({ what: err.what, cause: err.cause, txHash }) as E
    default:
      return e
  }
}

/**
 * The segments a resume state records as accepted by `url` for this tx. The state is a file another program could
 * have damaged: anything but a list of segment indexes counts as none (they are sent again).
 */
const acceptedBefore = (state: UploadState | undefined, txSeq: number, url: string): number[] => {
  const list = state?.txSeq === txSeq ? (state.done as Readonly<Record<string, unknown>> | null)?.[url] : undefined
  return Array.isArray(list) ? list.filter((i): i is number => Number.isSafeInteger(i) && i >= 0) : []
}

/** Waits until the nodes see the paid tx, uploads the segments they still need and waits until they finalized. */
const uploadPaid = (
  src: RandomAccessSource,
  merkle: FileMerkle,
  nodes: ReadonlyArray<NodeRef>,
  options: UploadOptions,
  resumable: UploadState | undefined,
  paid: { readonly txSeq: number; readonly txHash: string | undefined; readonly fee: bigint; readonly gasFee: bigint },
) =>
  Effect.gen(function* () {
    const cfg = yield* StorageConfig
    const root = merkle.root
    const size = merkle.layout.size
    const { txSeq, txHash, fee, gasFee } = paid
    options.onProgress?.({ phase: "wait-tx", txSeq, ...(txHash ? { txHash } : {}) })

    const infos = yield* Effect.forEach(
      nodes,
      (n) =>
        pollUntil(
          `node ${n.url} to see tx seq ${txSeq}`,
          zgs.getFileInfoByTxSeq(n.url, txSeq).pipe(Effect.map((i) => i ?? undefined)),
          cfg.pollIntervalMs,
          cfg.waitTimeoutMs,
        ).pipe(
          Effect.flatMap((info) =>
            info.tx.dataMerkleRoot !== root || info.tx.size !== size
              ? Effect.fail(new NodeMisbehaved({ node: n.url, detail: `tx ${txSeq} is not this file` }))
              : Effect.succeed({ node: n, info }),
          ),
        ),
      { concurrency: 8 },
    )

    const keccak = yield* Effect.promise(loadKeccak)
    const tree = new SegmentTree(keccak, merkle.segmentRoots)
    const done = new Map<string, Set<number>>()
    for (const { node } of infos) done.set(node.url, new Set(acceptedBefore(resumable, txSeq, node.url)))
    const finalizedNodes = new Set(infos.filter((i) => i.info.finalized).map((i) => i.node.url))
    const tasks: Array<{ node: NodeRef; indices: number[] }> = []
    for (const { node, info } of infos) {
      if (finalizedNodes.has(node.url)) continue
      const first = Math.floor(info.tx.startEntryIndex / 1024)
      const mine: number[] = []
      for (let i = 0; i < merkle.layout.numSegments; i++) {
        if (coversSegment(node.config, first + i) && !done.get(node.url)?.has(i)) mine.push(i)
      }
      for (let k = 0; k < mine.length; k += cfg.segmentsPerRequest) {
        tasks.push({ node, indices: mine.slice(k, k + cfg.segmentsPerRequest) })
      }
    }
    const segmentsTotal = tasks.reduce((n, t) => n + t.indices.length, 0)
    let segmentsDone = 0
    let saving = Promise.resolve()
    const snapshot = (): UploadState => ({
      root,
      size,
      ...(txHash ? { txHash } : {}),
      txSeq,
      done: Object.fromEntries([...done].map(([url, set]) => [url, [...set].sort((a, b) => a - b)])),
    })

    // One encoder (request body + read buffer) per in-flight request, reused across requests.
    const encoders: UploadBodyEncoder[] = []
    const takeEncoder = () => encoders.pop() ?? new UploadBodyEncoder(cfg.segmentsPerRequest)

    const readSegments = (indices: ReadonlyArray<number>, enc: UploadBodyEncoder) =>
      Effect.tryPromise({
        catch: (cause) => new SourceReadError({ what: `segments ${indices.join(",")} of the upload`, cause }),
        try: async (): Promise<SegmentPayload[]> => {
          const out: SegmentPayload[] = []
          for (const [k, index] of indices.entries()) {
            const wire = segmentWireLength(merkle.layout, index)
            const slot = enc.raw.subarray(k * SEGMENT_SIZE, k * SEGMENT_SIZE + wire)
            let data: Uint8Array = slot
            if (src.readInto) slot.fill(0, await src.readInto(index * SEGMENT_SIZE, slot))
            else {
              const raw = await src.read(index * SEGMENT_SIZE, wire)
              if (raw.length === wire) data = raw
              else {
                slot.set(raw)
                slot.fill(0, raw.length)
              }
            }
            out.push({ index, data, proof: tree.proof(index) })
          }
          return out
        },
      })

    const runTask = (task: { node: NodeRef; indices: number[] }) =>
      Effect.gen(function* () {
        if (finalizedNodes.has(task.node.url)) return
        const enc = takeEncoder()
        yield* Effect.gen(function* () {
          const segments = yield* readSegments(task.indices, enc)
          const send = zgs.uploadSegmentsEncoded(task.node.url, (id) => enc.encode(id, root, size, txSeq, segments))
          yield* retryTransient(send, cfg.attempts).pipe(
            Effect.catchTag("NodeRpcError", (e) =>
              isAlreadyFinalized(e)
                ? Effect.sync(() => finalizedNodes.add(task.node.url))
                : Effect.fail(new UploadFailed({ root, txSeq, detail: e.message })),
            ),
          )
        }).pipe(Effect.ensuring(Effect.sync(() => encoders.push(enc))))
        const set = done.get(task.node.url)
        for (const i of task.indices) set?.add(i)
        segmentsDone += task.indices.length
        options.onProgress?.({ phase: "upload", segmentsDone, segmentsTotal })
        const store = options.resume
        if (store) {
          const state = snapshot()
          saving = saving.then(() => store.save(state)).catch(() => undefined)
        }
      })

    yield* Effect.forEach(tasks, runTask, { concurrency: cfg.concurrency, discard: true })
    yield* Effect.promise(() => saving)
    options.onProgress?.({ phase: "finalize", txSeq })
    yield* Effect.forEach(
      infos,
      ({ node }) =>
        pollUntil(
          `node ${node.url} to finalize tx ${txSeq}`,
          zgs.getFileInfoByTxSeq(node.url, txSeq).pipe(Effect.map((i) => (i?.finalized ? true : undefined))),
          cfg.pollIntervalMs,
          cfg.waitTimeoutMs,
        ),
      { concurrency: 8, discard: true },
    )
    yield* Effect.promise(async () => options.resume?.clear(root))
    return { root: merkle.root, size, txSeq, txHash, fee, gasFee, alreadyStored: false }
  })

export type UploadHashError = EmptyFile | SourceReadError | StorageAborted

/** Hashes and uploads bytes or a Blob/File. */
export const uploadBytesEffect = (
  input: Uint8Array | Blob,
  options: UploadOptions & { readonly onHashProgress?: (p: HashProgress) => void } = {},
): Effect.Effect<UploadResult, UploadError | UploadHashError, UploadEnv> =>
  Effect.gen(function* () {
    const merkle = yield* merkleOf(input, options.onHashProgress ? { onProgress: options.onHashProgress } : {})
    const src = input instanceof Uint8Array ? bytesSource(input) : blobSource(input)
    return yield* uploadWithMerkle(src, merkle, options)
  })
