/** An emulated 0G storage node: the JSON-RPC methods both npm SDKs and our client use, plus fault switches. */
import { toBase64 } from "@0g-compute/storage"
import type { SubmitLog } from "./chain.js"
import {
  RpcFailure as Failure,
  type GateAnswer,
  type HostileSwitches,
  hostileSwitches,
  invalidParams,
  startRpcServer,
} from "./jsonrpc-server.js"
import type { FileRecord, NodeStore, SegmentWithProofJson, ShardConfig } from "./store.js"

/** Fault switches of one node. Segments are named by root (0x…) or txSeq. */
export interface StorageNodeFaults extends HostileSwitches {
  /** Serve segment `index` with one byte flipped (its proof stays the honest one). */
  corruptSegment(file: string | number, index: number): void
  /** Answer `null` for segment `index`, as a node that lost it. */
  dropSegment(file: string | number, index: number): void
  /** Fail every request: `"http"` (HTTP 503), `"rpc"` (JSON-RPC internal error) or `undefined` (healthy again). */
  fail(mode: "http" | "rpc" | undefined): void
  /** Answer the next `count` upload calls with "too many data writing". */
  busy(count: number): void
  /** Hostile: `zgs_getStatus` reports this chain id and/or Flow instead of the real ones. */
  report(identity: { readonly chainId?: number; readonly flowAddress?: string } | undefined): void
  /**
   * Lagging log sync: while on, every tx submitted from the moment it is switched on stays unknown to this node (file
   * info `null`, uploads "tx not found"), as a node that has not yet synced those Submit logs; off: caught up.
   */
  lag(on: boolean): void
  /** Clears every switch. */
  reset(): void
}

export interface EmulatedStorageNode {
  readonly url: string
  readonly shard: ShardConfig
  readonly dataDir: string
  readonly faults: StorageNodeFaults
  /** The node's record of a file (by root or txSeq), for tests. */
  readonly file: (file: string | number) => ReturnType<FileRecord["fileInfo"]> | null
  readonly stop: () => Promise<void>
}

export interface NodeContext {
  readonly log: SubmitLog
  readonly flowAddress: string
  readonly chainId: number
  readonly store: NodeStore
}

const asSeq = (u: unknown): number => {
  if (typeof u === "number" && Number.isSafeInteger(u) && u >= 0) return u
  throw invalidParams("tx_seq", "invalid tx seq")
}
const asRoot = (u: unknown): string => {
  if (typeof u === "string" && /^0x[0-9a-fA-F]{64}$/.test(u)) return u.toLowerCase()
  throw invalidParams("root", "invalid root")
}

export const startStorageNode = async (ctx: NodeContext): Promise<EmulatedStorageNode> => {
  const { store, log } = ctx
  const corrupt = new Set<string>()
  const drop = new Set<string>()
  let failMode: "http" | "rpc" | undefined
  let busy = 0
  let identity: { readonly chainId?: number; readonly flowAddress?: string } | undefined
  const hostile = hostileSwitches()
  let lagFrom: number | undefined
  const synced = (rec: FileRecord | undefined) =>
    rec && (lagFrom === undefined || rec.tx.seq < lagFrom) ? rec : undefined

  const recordOf = (file: string | number): FileRecord | undefined =>
    typeof file === "number" ? store.bySeq.get(file) : store.byRootLookup(file, false)
  const key = (rec: FileRecord, index: number) => `${rec.tx.seq}:${index}`
  const faultKey = (file: string | number, index: number) => {
    const rec = recordOf(file)
    if (!rec) throw new Error(`node does not know file ${file}`)
    return key(rec, index)
  }

  /** Chunks [start, end) of a finalized file, zero-padded to whole chunks, honouring faults per segment. */
  const chunks = (rec: FileRecord, start: number, end: number): string | null => {
    if (start >= end) throw invalidParams("start_index", "invalid chunk index")
    if (end - start > 1024) throw invalidParams("end_index", "exceeds maximum chunks 1024")
    if (!rec.finalized || end > rec.layout.numChunks) return null
    const out = new Uint8Array((end - start) * 256)
    for (let c = start; c < end; ) {
      const index = Math.floor(c / 1024)
      const seg = segmentBytes(rec, index)
      if (!seg) return null
      const from = c - index * 1024
      const to = Math.min(end - index * 1024, seg.length / 256)
      out.set(seg.subarray(from * 256, to * 256), (c - start) * 256)
      c = index * 1024 + to
    }
    return toBase64(out)
  }

  const segmentBytes = (rec: FileRecord, index: number): Uint8Array | undefined => {
    if (drop.has(key(rec, index))) return undefined
    const data = store.segment(rec, index)
    if (data && corrupt.has(key(rec, index))) data[data.length >> 1] = (data[data.length >> 1] as number) ^ 0xff
    return data
  }

  const withProof = (rec: FileRecord | undefined, index: unknown): SegmentWithProofJson | null => {
    if (!rec?.finalized || typeof index !== "number") return null
    const data = segmentBytes(rec, index)
    const proof = rec.proofs.get(index)
    if (!data || !proof) return null
    return { root: rec.root, data: toBase64(data), index, proof, fileSize: rec.tx.size }
  }

  const uploadAll = (segs: unknown, rec: FileRecord | undefined) => {
    if (busy > 0) {
      busy--
      throw new Failure(-32603, "too many data writing: 16")
    }
    const list = Array.isArray(segs) ? (segs as SegmentWithProofJson[]) : []
    if (list.length === 0) throw invalidParams("segments", "no segments")
    for (const seg of list) {
      const target = rec ?? synced(store.byRootLookup(asRoot(seg.root), true))
      if (!target) throw invalidParams("root", "caching of large file when tx is unavailable is not supported")
      store.upload(seg, target)
    }
    return null
  }

  const needsSync = new Set([
    "zgs_getStatus",
    "zgs_getFileInfo",
    "zgs_getFileInfoByTxSeq",
    "zgs_checkFileFinalized",
    "zgs_uploadSegmentsByTxSeq",
    "zgs_uploadSegmentByTxSeq",
    "zgs_uploadSegments",
    "zgs_uploadSegment",
  ])

  const handler = async (method: string, p: ReadonlyArray<unknown>): Promise<unknown> => {
    if (needsSync.has(method)) await log.sync()
    switch (method) {
      case "zgs_getStatus":
        return {
          connectedPeers: 0,
          logSyncHeight: log.lastBlock,
          logSyncBlock: `0x${"0".repeat(64)}`,
          nextTxSeq: lagFrom ?? log.txs.length,
          networkIdentity: {
            chainId: identity?.chainId ?? ctx.chainId,
            flowAddress: identity?.flowAddress ?? ctx.flowAddress,
            p2pProtocolVersion: { major: 0, minor: 4, build: 0 },
          },
        }
      case "zgs_getShardConfig":
        return store.shard
      case "zgs_getFileInfo":
        return synced(store.byRootLookup(asRoot(p[0]), p[1] === true))?.fileInfo() ?? null
      case "zgs_getFileInfoByTxSeq":
        return synced(store.bySeq.get(asSeq(p[0])))?.fileInfo() ?? null
      case "zgs_checkFileFinalized": {
        const rec = synced(typeof p[0] === "number" ? store.bySeq.get(p[0]) : store.byRootLookup(asRoot(p[0]), false))
        return rec ? rec.finalized : null
      }
      case "zgs_uploadSegmentsByTxSeq":
        return uploadAll(p[0], requireSeq(p[1]))
      case "zgs_uploadSegmentByTxSeq":
        return uploadAll([p[0]], requireSeq(p[1]))
      case "zgs_uploadSegments":
        return uploadAll(p[0], undefined)
      case "zgs_uploadSegment":
        return uploadAll([p[0]], undefined)
      case "zgs_downloadSegmentByTxSeq":
      case "zgs_downloadSegment": {
        const rec =
          method === "zgs_downloadSegment" ? store.byRootLookup(asRoot(p[0]), true) : store.bySeq.get(asSeq(p[0]))
        const [start, end] = [p[1], p[2]]
        if (typeof start !== "number" || typeof end !== "number")
          throw invalidParams("start_index", "invalid chunk index")
        return rec ? chunks(rec, start, end) : null
      }
      case "zgs_downloadSegmentWithProofByTxSeq":
        return withProof(store.bySeq.get(asSeq(p[0])), p[1])
      case "zgs_downloadSegmentWithProof":
        return withProof(store.byRootLookup(asRoot(p[0]), true), p[1])
      default:
        throw new Failure(-32601, "Method not found")
    }
  }

  const requireSeq = (u: unknown): FileRecord => {
    const rec = synced(store.bySeq.get(asSeq(u)))
    if (!rec) throw invalidParams("tx_seq", "tx not found")
    return rec
  }

  const gate = (method: string): GateAnswer => {
    const reply = hostile.reply(method)
    if (reply !== undefined) return reply
    return failMode === "http"
      ? 503
      : failMode === "rpc"
        ? new Failure(-32603, "Internal error", "node failure (fault switch)")
        : undefined
  }

  const server = await startRpcServer(handler, gate)
  return {
    url: server.url,
    shard: store.shard,
    dataDir: store.dir,
    faults: {
      ...hostile.switches,
      corruptSegment: (file, index) => corrupt.add(faultKey(file, index)),
      dropSegment: (file, index) => drop.add(faultKey(file, index)),
      fail: (mode) => {
        failMode = mode
      },
      busy: (count) => {
        busy = count
      },
      report: (id) => {
        identity = id
      },
      lag: (on) => {
        lagFrom = on ? log.txs.length : undefined
      },
      reset: () => {
        lagFrom = undefined
        corrupt.clear()
        drop.clear()
        failMode = undefined
        busy = 0
        identity = undefined
        hostile.reset()
      },
    },
    file: (file) => recordOf(file)?.fileInfo() ?? null,
    stop: server.close,
  }
}
