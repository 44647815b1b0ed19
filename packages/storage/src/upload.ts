/**
 * Upload (browser-safe core): hash once, refuse a node that reports another Flow, reuse a tx the nodes already know
 * (never pay twice), otherwise pay `submit` and read the txSeq from the receipt, wait until the nodes see the tx,
 * upload segments with proofs in bounded parallel batches with retry, wait until finalized.
 */
import { type InsufficientBalance, Wallet } from "@0g-compute/core"
import { Effect } from "effect"
import { StorageConfig } from "./config.js"
import { SEGMENT_SIZE } from "./constants.js"
import {
  type EmptyFile,
  FeeTooLow,
  FlowAddressMismatch,
  NodeMisbehaved,
  type NoStorageNodes,
  SourceReadError,
  type StorageAborted,
  type StorageTimeout,
  type TxReverted,
  UploadFailed,
} from "./errors.js"
import { storageFee, submitFile } from "./flow.js"
import { coversSegment, type NodeRef, uploadNodes } from "./locate.js"
import {
  type FileMerkle,
  type HashProgress,
  loadKeccak,
  merkleOf,
  SegmentTree,
  segmentWireLength,
} from "./merkle/index.js"
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

/** What a resumable upload remembers: the tx it pays for once and the segments each node already accepted. */
export interface UploadState {
  readonly root: string
  readonly size: number
  readonly txSeq: number
  readonly done: Readonly<Record<string, ReadonlyArray<number>>>
}

export interface UploadResumeStore {
  readonly load: (root: string) => Promise<UploadState | undefined>
  readonly save: (state: UploadState) => Promise<void>
  readonly clear: (root: string) => Promise<void>
}

export type UploadProgress =
  | { readonly phase: "submit"; readonly txHash: string; readonly fee: bigint }
  | { readonly phase: "wait-tx"; readonly txSeq: number }
  | { readonly phase: "upload"; readonly segmentsDone: number; readonly segmentsTotal: number }
  | { readonly phase: "finalize"; readonly txSeq: number }

export interface UploadOptions {
  readonly tags?: string
  /** Refuse (FeeTooLow) when the Flow fee exceeds this many neuron. */
  readonly maxFee?: bigint
  readonly onProgress?: (p: UploadProgress) => void
  readonly resume?: UploadResumeStore
}

export interface UploadResult {
  readonly root: `0x${string}`
  readonly size: number
  readonly txSeq: number
  /** Undefined when no transaction was needed (the nodes already knew the file). */
  readonly txHash: string | undefined
  readonly fee: bigint
  /** True when the file was already finalized before this call. */
  readonly alreadyStored: boolean
}

export type UploadError =
  | NoStorageNodes
  | FlowAddressMismatch
  | FeeTooLow
  | TxReverted
  | InsufficientBalance
  | NodeMisbehaved
  | StorageTimeout
  | UploadFailed
  | SourceReadError

type UploadEnv = StorageRpc | StorageConfig | Wallet

/** Checks every node's Flow against the pinned one (or, unpinned, that they all agree) and returns it. */
const agreedFlow = (nodes: ReadonlyArray<NodeRef>) =>
  Effect.gen(function* () {
    const cfg = yield* StorageConfig
    const statuses = yield* Effect.forEach(nodes, (n) =>
      zgs.getStatus(n.url).pipe(
        Effect.map((s) => ({ url: n.url, flow: s.networkIdentity.flowAddress.toLowerCase() })),
        Effect.mapError((e) => new NodeMisbehaved({ node: n.url, detail: e.message })),
      ),
    )
    const expected = (cfg.flowAddress ?? statuses[0]?.flow ?? "").toLowerCase()
    const bad = statuses.find((s) => s.flow !== expected)
    if (bad) return yield* new FlowAddressMismatch({ node: bad.url, expected, reported: bad.flow })
    return expected
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
    const cfg = yield* StorageConfig
    const { signer } = yield* Wallet
    const root = merkle.root
    const size = merkle.layout.size
    const nodes = yield* uploadNodes
    const flowAddress = yield* agreedFlow(nodes)
    const existing = yield* knownTx(merkle, nodes)
    const saved = yield* Effect.promise(async () => options.resume?.load(root))
    const resumable = saved && saved.size === size ? saved : undefined
    if (existing.allFinalized && existing.tx) {
      return { root, size, txSeq: existing.tx.seq, txHash: undefined, fee: 0n, alreadyStored: true }
    }
    let txSeq: number
    let txHash: string | undefined
    let fee = 0n
    if (existing.tx) txSeq = existing.tx.seq
    else if (resumable) txSeq = resumable.txSeq
    else {
      fee = yield* storageFee(signer, flowAddress, merkle)
      if (options.maxFee !== undefined && fee > options.maxFee) {
        return yield* new FeeTooLow({ required: fee, paid: options.maxFee })
      }
      const submitted = yield* submitFile(signer, flowAddress, merkle, fee, options.tags, cfg.waitTimeoutMs)
      txSeq = submitted.txSeq
      txHash = submitted.txHash
      options.onProgress?.({ phase: "submit", txHash: submitted.txHash, fee })
    }
    options.onProgress?.({ phase: "wait-tx", txSeq })

    const infos = yield* Effect.forEach(
      nodes,
      (n) =>
        pollUntil(
          `node ${n.url} to see tx ${txSeq}`,
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
    for (const { node } of infos)
      done.set(node.url, new Set(resumable?.txSeq === txSeq ? (resumable.done[node.url] ?? []) : []))
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
    return { root, size, txSeq, txHash, fee, alreadyStored: false }
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
