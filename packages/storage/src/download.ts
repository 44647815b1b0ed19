/**
 * Verified download by root (browser-safe core): locate finalized copies, fetch segments with proofs in parallel,
 * verify every proof against the root, trim to the file size, retry a bad segment on another node.
 * Sinks decide where bytes go (memory here; a temp file with resume in the node entry).
 */
import { Clock, Effect, Option } from "effect"
import { bytesEqual, fromBase64, fromHex } from "./bytes.js"
import { StorageConfig } from "./config.js"
import { SEGMENT_CHUNKS, SEGMENT_SIZE } from "./constants.js"
import {
  type EmptyFile,
  FileTooLargeForMemory,
  NoNodeHasFile,
  ProofInvalid,
  RootMismatch,
  SegmentUnavailable,
  type SourceReadError,
  type StorageAborted,
} from "./errors.js"
import { coversSegment, fileLocations } from "./locate.js"
import {
  checkProof,
  type FileLayout,
  fileLayout,
  foldRight,
  type Keccak,
  loadKeccak,
  merkleOf,
  proofFromJson,
  segmentPaddedChunks,
  segmentWireLength,
} from "./merkle/index.js"
import { isTransient, zgs } from "./rpc/node-api.js"
import type { StorageRpc } from "./rpc/transport.js"
import type { FileInfo, ShardConfig } from "./rpc/types.js"

export interface FileSource {
  readonly url: string
  readonly config: ShardConfig
  readonly txSeq: number
  readonly startEntryIndex: number
}

/** A finalized file and the nodes that serve it. */
export interface DownloadPlan {
  readonly root: `0x${string}`
  readonly size: number
  readonly layout: FileLayout
  readonly sources: ReadonlyArray<FileSource>
  /** The last data segment (proof checked, not trimmed), when fetching it proved the size. */
  readonly lastSegment?: Uint8Array
}

export interface DownloadProgress {
  readonly phase: "download"
  readonly segmentsDone: number
  readonly segmentsTotal: number
  readonly bytes: number
  readonly totalBytes: number
}

export interface SegmentSink<E = never> {
  /**
   * Receives each verified data segment, trimmed to the file size; calls may overlap and come out of order. Its
   * failure (a full disk) ends the download with that error.
   */
  readonly write: (index: number, offset: number, data: Uint8Array) => Effect.Effect<void, E>
}

export interface FetchOptions {
  /** Segments already present (resume). */
  readonly skip?: (index: number) => boolean
  /** Called after each segment was written to the sink. */
  readonly onSegment?: (index: number) => void
  readonly onProgress?: (p: DownloadProgress) => void
  /**
   * Computes a segment's root (its chunks plus zero chunks up to `leaves`) elsewhere, e.g. on worker threads. It may
   * take ownership of `data` and must hand the bytes back. Default: the calling thread.
   */
  readonly segmentRoot?: (data: Uint8Array, leaves: number) => Promise<{ root: Uint8Array; data: Uint8Array }>
}

const normalizeRoot = (root: string) => root.toLowerCase() as `0x${string}`

/** Why a node's FileInfo cannot be used for `root`, or undefined when it is a consistent finalized copy. */
const infoProblem = (
  info: FileInfo,
  root: string,
  keccakFold: (roots: Uint8Array[]) => Uint8Array,
): string | undefined => {
  if (!info.finalized) return "not finalized"
  if (info.pruned) return "pruned"
  if (info.tx.dataMerkleRoot !== root) return "reports another root"
  if (info.tx.size <= 0) return "reports an empty file"
  const layout = fileLayout(info.tx.size)
  const heights = info.tx.merkleNodes.map(([depth]) => depth - 1)
  if (heights.join() !== layout.nodeHeights.join()) return "merkle nodes do not match the file size"
  const fold = keccakFold(info.tx.merkleNodes.map(([, r]) => fromHex(r, 32) as Uint8Array))
  if (!bytesEqual(fold, fromHex(root, 32) as Uint8Array)) return "merkle nodes do not fold to the root"
  return undefined
}

type SegmentResult =
  | { readonly ok: true; readonly data: Uint8Array }
  | { readonly ok: false; readonly reason: string; readonly transient: boolean }

/** Segment `index` of the file from `src`, its proof checked against the root under the plan's layout. */
const verifiedSegment = (
  keccak: Keccak,
  plan: Pick<DownloadPlan, "root" | "layout">,
  src: FileSource,
  index: number,
  segmentRoot?: FetchOptions["segmentRoot"],
): Effect.Effect<SegmentResult, never, StorageRpc> =>
  Effect.gen(function* () {
    const { layout } = plan
    const wireLength = segmentWireLength(layout, index)
    const seg = yield* zgs.downloadSegmentWithProofByTxSeq(src.url, src.txSeq, index, wireLength)
    if (seg === null) return { ok: false as const, reason: `${src.url}: segment not available`, transient: true }
    const decoded = fromBase64(seg.data)
    const proof = proofFromJson(seg.proof)
    let data = decoded
    let problem: string | undefined =
      seg.index !== index
        ? "wrong segment index"
        : seg.root !== plan.root
          ? "wrong root"
          : !decoded || !proof
            ? "malformed data or proof"
            : decoded.length !== wireLength
              ? "invalid data length"
              : undefined
    if (problem === undefined && decoded && proof) {
      const leaves = segmentPaddedChunks(layout, index)
      const leaf = segmentRoot
        ? yield* Effect.promise(() => segmentRoot(decoded, leaves)).pipe(
            Effect.map((r) => {
              data = r.data
              return r.root
            }),
          )
        : keccak.chunkTreeRoot(decoded, leaves)
      const root = fromHex(plan.root, 32) as Uint8Array
      problem = checkProof(keccak, proof, { leaf, root, index, leafCount: layout.numSegmentsPadded })
    }
    if (problem !== undefined || !data) {
      const err = new ProofInvalid({ root: plan.root, segment: index, node: src.url, reason: problem ?? "?" })
      yield* Effect.logDebug(err.message)
      return { ok: false as const, reason: err.message, transient: false }
    }
    return { ok: true as const, data }
  }).pipe(
    Effect.catchTag("NodeRpcError", (e) =>
      Effect.succeed({ ok: false as const, reason: e.message, transient: isTransient(e) }),
    ),
  )

const servesSegment = (s: FileSource, index: number) =>
  coversSegment(s.config, Math.floor(s.startEntryIndex / SEGMENT_CHUNKS) + index)

/**
 * Asks every candidate node for the file and keeps the finalized, self-consistent copies. A node's file info does not
 * prove the size (one claiming a size whose layout is a single merkle node can report the root as that node), so
 * without `expectedSize` (the chain's word) a claimed size counts only once a node of that group served the last
 * segment with a proof under its layout, unless the only claim is of one segment (its download is the proof). Sizes
 * are tried by how many nodes claim them: a lie neither outvotes an honest node nor makes anyone allocate what it
 * claims. The verified last segment is kept in the plan.
 */
export const locateFile = (
  rootInput: string,
  expectedSize?: number,
): Effect.Effect<DownloadPlan, NoNodeHasFile, StorageRpc | StorageConfig> =>
  Effect.gen(function* () {
    const cfg = yield* StorageConfig
    const root = normalizeRoot(rootInput)
    const keccak = yield* Effect.promise(loadKeccak)
    // One deadline for the whole search: a list of nodes that each stall does not add up their transport deadlines.
    const start = yield* Clock.currentTimeMillis
    const left = Effect.map(Clock.currentTimeMillis, (now) => cfg.locateTimeoutMs - (now - start))
    const outOfTime = (what: string) => `${what} within the ${cfg.locateTimeoutMs} ms deadline to locate the file`
    const reasons: string[] = []
    const urls: string[] = []
    const answers: Array<{ url: string; info: FileInfo | null; config: ShardConfig }> = []
    const asked = yield* Effect.gen(function* () {
      urls.push(...(yield* fileLocations(root, reasons)))
      // All at once (the list is bounded): stalling nodes must not queue honest ones behind them.
      yield* Effect.forEach(
        urls,
        (url) =>
          Effect.all([zgs.getFileInfo(url, root, true), zgs.getShardConfig(url)]).pipe(
            Effect.flatMap(([info, config]) => Effect.sync(() => void answers.push({ url, info, config }))),
            Effect.catchTag("NodeRpcError", (e) => Effect.sync(() => void reasons.push(e.message))),
          ),
        { concurrency: Math.max(1, urls.length), discard: true },
      )
    }).pipe(Effect.timeoutOption(cfg.locateTimeoutMs))
    if (Option.isNone(asked)) {
      reasons.unshift(outOfTime(urls.length === 0 ? "the indexer did not answer" : "some nodes did not answer"))
    }
    const good = answers.filter(
      (a): a is { url: string; info: FileInfo; config: ShardConfig } =>
        a.info !== null && infoProblem(a.info, root, (r) => foldRight(keccak, r)) === undefined,
    )
    const votes = new Map<number, number>()
    for (const a of good) votes.set(a.info.tx.size, (votes.get(a.info.tx.size) ?? 0) + 1)
    const byVotes = [...votes.entries()].sort((a, b) => b[1] - a[1]).map(([size]) => size)
    for (const size of expectedSize !== undefined ? [expectedSize] : byVotes) {
      const sources = good
        .filter((a) => a.info.tx.size === size)
        .map((a) => ({
          url: a.url,
          config: a.config,
          txSeq: a.info.tx.seq,
          startEntryIndex: a.info.tx.startEntryIndex,
        }))
      if (sources.length === 0) continue
      const plan = { root, size, layout: fileLayout(size), sources }
      // One claim of one segment: fetching that segment is the proof, and it allocates no more than a segment.
      if (expectedSize !== undefined || (votes.size === 1 && plan.layout.numSegments === 1)) return plan
      const last = plan.layout.numSegments - 1
      for (const src of sources.filter((s) => servesSegment(s, last))) {
        const ms = yield* left
        const r =
          ms <= 0
            ? undefined
            : Option.getOrUndefined(yield* verifiedSegment(keccak, plan, src, last).pipe(Effect.timeoutOption(ms)))
        if (r === undefined) {
          reasons.unshift(outOfTime(`size ${size} was not proven`))
          return yield* new NoNodeHasFile({ root, tried: urls, reasons })
        }
        if (r.ok) return { ...plan, lastSegment: r.data }
        reasons.push(`size ${size} unproven: ${r.reason}`)
      }
    }
    return yield* new NoNodeHasFile({ root, tried: urls, reasons })
  })

/** Fetches, verifies and writes every data segment not skipped. */
export const fetchSegments = <E = never>(
  plan: DownloadPlan,
  sink: SegmentSink<E>,
  options: FetchOptions = {},
): Effect.Effect<void, SegmentUnavailable | E, StorageConfig | StorageRpc> =>
  Effect.gen(function* () {
    const cfg = yield* StorageConfig
    const keccak = yield* Effect.promise(loadKeccak)
    const { layout } = plan
    const strikes = new Map<string, number>()
    const todo: number[] = []
    for (let i = 0; i < layout.numSegments; i++) if (!options.skip?.(i)) todo.push(i)
    let segmentsDone = layout.numSegments - todo.length
    let bytes = Math.min(plan.size, segmentsDone * SEGMENT_SIZE)

    const deliver = (index: number, verified: Uint8Array) =>
      Effect.gen(function* () {
        const offset = index * SEGMENT_SIZE
        const data = verified.subarray(0, Math.min(verified.length, plan.size - offset))
        yield* sink.write(index, offset, data)
        segmentsDone++
        bytes += data.length
        options.onSegment?.(index)
        options.onProgress?.({
          phase: "download",
          segmentsDone,
          segmentsTotal: layout.numSegments,
          bytes,
          totalBytes: plan.size,
        })
      })

    const fetchOne = (index: number) =>
      Effect.gen(function* () {
        if (index === layout.numSegments - 1 && plan.lastSegment !== undefined) {
          return yield* deliver(index, plan.lastSegment)
        }
        const reasons: string[] = []
        for (let pass = 0; pass < cfg.attempts; pass++) {
          const candidates = plan.sources
            .filter((s) => servesSegment(s, index))
            .map((s, k, all) => ({ s, order: (strikes.get(s.url) ?? 0) * all.length + ((k + index) % all.length) }))
            .sort((a, b) => a.order - b.order)
          let retryable = false
          for (const { s } of candidates) {
            const r = yield* verifiedSegment(keccak, plan, s, index, options.segmentRoot)
            if (r.ok) return yield* deliver(index, r.data)
            strikes.set(s.url, (strikes.get(s.url) ?? 0) + 1)
            reasons.push(r.reason)
            retryable ||= r.transient
          }
          if (!retryable || candidates.length === 0) break
          yield* Effect.sleep(Math.min(2000, 100 * 2 ** pass))
        }
        return yield* new SegmentUnavailable({ root: plan.root, segment: index, reasons })
      })

    // A segment no node serves does not stop the others: they still land in the sink (and in resume state).
    const failures: SegmentUnavailable[] = []
    yield* Effect.forEach(
      todo,
      (i) =>
        fetchOne(i).pipe(
          Effect.catchIf(
            (e): e is SegmentUnavailable => e instanceof SegmentUnavailable,
            (e) => Effect.sync(() => failures.push(e)),
          ),
        ),
      { concurrency: cfg.concurrency, discard: true },
    )
    const first = failures.sort((a, b) => a.segment - b.segment)[0]
    if (first) return yield* first
  })

/** Downloads `root` into memory, verifying every proof and then the whole root. */
export const downloadBytesEffect = (
  root: string,
  options: Omit<FetchOptions, "skip"> & { readonly expectedSize?: number } = {},
): Effect.Effect<
  Uint8Array,
  | NoNodeHasFile
  | FileTooLargeForMemory
  | SegmentUnavailable
  | RootMismatch
  | EmptyFile
  | SourceReadError
  | StorageAborted,
  StorageRpc | StorageConfig
> =>
  Effect.gen(function* () {
    const plan = yield* locateFile(root, options.expectedSize)
    const out = yield* Effect.try({
      try: () => new Uint8Array(plan.size),
      catch: () => new FileTooLargeForMemory({ root: plan.root, size: plan.size }),
    })
    yield* fetchSegments(plan, { write: (_i, offset, data) => Effect.sync(() => out.set(data, offset)) }, options)
    const check = yield* merkleOf(out)
    if (check.root !== plan.root) return yield* new RootMismatch({ expected: plan.root, actual: check.root })
    return out
  })
