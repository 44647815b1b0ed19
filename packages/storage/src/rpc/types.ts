/**
 * Storage node and indexer JSON shapes (spec storage-protocol.md §4.3, §5) with structural decoders: a reply that
 * does not decode is a {@link NodeRpcError}, never a crash further down.
 */
import { isRecord } from "@0g-compute/core"

export interface ShardConfig {
  readonly shardId: number
  readonly numShard: number
}

export interface NodeStatus {
  readonly connectedPeers: number
  readonly logSyncHeight: number
  readonly nextTxSeq: number
  readonly networkIdentity: { readonly chainId: number; readonly flowAddress: string }
}

export interface TxInfo {
  readonly dataMerkleRoot: string
  /** `[depth, root]` with depth = height + 1. */
  readonly merkleNodes: ReadonlyArray<readonly [number, string]>
  readonly startEntryIndex: number
  readonly size: number
  readonly seq: number
}

export interface FileInfo {
  readonly tx: TxInfo
  readonly finalized: boolean
  readonly isCached: boolean
  readonly uploadedSegNum: number
  readonly pruned: boolean
}

export interface SegmentWithProofJson {
  readonly root: string
  readonly data: string
  readonly index: number
  readonly proof: { readonly lemma: ReadonlyArray<string>; readonly path: ReadonlyArray<boolean> }
  readonly fileSize: number
}

export interface ShardedNode {
  readonly url: string
  readonly config: ShardConfig
  readonly latency: number
  readonly since: number
}

export type Decoder<A> = (u: unknown) => A | undefined

const isNat = (u: unknown): u is number => typeof u === "number" && Number.isSafeInteger(u) && u >= 0
const isHash = (u: unknown): u is string => typeof u === "string" && /^0x[0-9a-fA-F]{64}$/.test(u)

export const decodeNull: Decoder<null> = (u) => (u === null ? null : undefined)

export const decodeBoolOrNull: Decoder<boolean | null> = (u) => (u === null || typeof u === "boolean" ? u : undefined)

/**
 * The most shards a node may claim. Node selection keeps a count per residue class of the largest claim, so a claim
 * is memory we allocate; real networks shard in single or double digits.
 */
const MAX_SHARDS = 65_536

export const decodeShardConfig: Decoder<ShardConfig> = (u) => {
  if (!isRecord(u) || !isNat(u.shardId) || !isNat(u.numShard)) return undefined
  const { shardId, numShard } = u
  if (numShard < 1 || numShard > MAX_SHARDS || (numShard & (numShard - 1)) !== 0 || shardId >= numShard) {
    return undefined
  }
  return { shardId, numShard }
}

export const decodeStatus: Decoder<NodeStatus> = (u) => {
  if (!isRecord(u) || !isRecord(u.networkIdentity)) return undefined
  const ni = u.networkIdentity
  // The chain id is compared as a bigint: a fraction would throw there, so it is malformed here.
  if (typeof ni.flowAddress !== "string" || !isNat(ni.chainId)) return undefined
  return {
    connectedPeers: typeof u.connectedPeers === "number" ? u.connectedPeers : 0,
    logSyncHeight: typeof u.logSyncHeight === "number" ? u.logSyncHeight : 0,
    nextTxSeq: typeof u.nextTxSeq === "number" ? u.nextTxSeq : 0,
    networkIdentity: { chainId: ni.chainId, flowAddress: ni.flowAddress },
  }
}

const decodeTx: Decoder<TxInfo> = (u) => {
  if (!isRecord(u) || !isHash(u.dataMerkleRoot) || !isNat(u.startEntryIndex) || !isNat(u.size) || !isNat(u.seq)) {
    return undefined
  }
  if (!Array.isArray(u.merkleNodes)) return undefined
  const merkleNodes: Array<readonly [number, string]> = []
  for (const n of u.merkleNodes) {
    if (!Array.isArray(n) || n.length !== 2 || !isNat(n[0]) || !isHash(n[1])) return undefined
    merkleNodes.push([n[0], n[1].toLowerCase()])
  }
  return {
    dataMerkleRoot: u.dataMerkleRoot.toLowerCase(),
    merkleNodes,
    startEntryIndex: u.startEntryIndex,
    size: u.size,
    seq: u.seq,
  }
}

export const decodeFileInfo: Decoder<FileInfo | null> = (u) => {
  if (u === null) return null
  if (!isRecord(u) || typeof u.finalized !== "boolean") return undefined
  const tx = decodeTx(u.tx)
  if (!tx) return undefined
  return {
    tx,
    finalized: u.finalized,
    isCached: u.isCached === true,
    uploadedSegNum: isNat(u.uploadedSegNum) ? u.uploadedSegNum : 0,
    pruned: u.pruned === true,
  }
}

export const decodeSegmentWithProof: Decoder<SegmentWithProofJson | null> = (u) => {
  if (u === null) return null
  if (!isRecord(u) || !isHash(u.root) || typeof u.data !== "string" || !isNat(u.index) || !isNat(u.fileSize)) {
    return undefined
  }
  const p = u.proof
  if (!isRecord(p) || !Array.isArray(p.lemma) || !Array.isArray(p.path)) return undefined
  if (!p.lemma.every(isHash) || !p.path.every((b) => typeof b === "boolean")) return undefined
  return {
    root: u.root.toLowerCase(),
    data: u.data,
    index: u.index,
    proof: { lemma: p.lemma as string[], path: p.path as boolean[] },
    fileSize: u.fileSize,
  }
}

export const decodeStringOrNull: Decoder<string | null> = (u) => (u === null || typeof u === "string" ? u : undefined)

const decodeShardedNode: Decoder<ShardedNode> = (u) => {
  if (!isRecord(u) || typeof u.url !== "string") return undefined
  const config = decodeShardConfig(u.config)
  if (!config) return undefined
  return {
    url: u.url,
    config,
    latency: typeof u.latency === "number" ? u.latency : 0,
    since: typeof u.since === "number" ? u.since : 0,
  }
}

/** `null` decodes as `[]` (the 1.2.8 SDK's reading of "no locations"). */
export const decodeShardedNodes: Decoder<ReadonlyArray<ShardedNode>> = (u) => {
  if (u === null) return []
  if (!Array.isArray(u)) return undefined
  const out: ShardedNode[] = []
  for (const n of u) {
    const d = decodeShardedNode(n)
    if (!d) return undefined
    out.push(d)
  }
  return out
}

export const decodeShardedNodeSets: Decoder<{
  readonly trusted: ReadonlyArray<ShardedNode>
  readonly discovered: ReadonlyArray<ShardedNode>
}> = (u) => {
  if (!isRecord(u)) return undefined
  const trusted = decodeShardedNodes(u.trusted ?? null)
  const discovered = decodeShardedNodes(u.discovered ?? null)
  return trusted && discovered ? { trusted, discovered } : undefined
}
