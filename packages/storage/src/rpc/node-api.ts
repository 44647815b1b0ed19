/** Typed storage-node and indexer methods (spec storage-protocol.md §4.2, §5) over {@link StorageRpc}. */
import type { Effect } from "effect"
import type { NodeRpcError } from "../errors.js"
import { type CallLimits, StorageRpc } from "./transport.js"
import {
  type Decoder,
  decodeBoolOrNull,
  decodeFileInfo,
  decodeNull,
  decodeSegmentWithProof,
  decodeShardConfig,
  decodeShardedNodeSets,
  decodeShardedNodes,
  decodeStatus,
  decodeStringOrNull,
  type FileInfo,
  type NodeStatus,
  type SegmentWithProofJson,
  type ShardConfig,
  type ShardedNode,
} from "./types.js"

const call = <A>(
  url: string,
  method: string,
  params: ReadonlyArray<unknown> | undefined,
  decode: Decoder<A>,
  limits?: CallLimits,
) => StorageRpc.use((rpc) => rpc.call(url, method, params, decode, limits))

/** Base64 of `dataBytes` plus room for a proof (≤ 64 levels), the root and the envelope. */
export const segmentReplyCap = (dataBytes: number): number => Math.ceil(dataBytes / 3) * 4 + 64 * 80 + 16 * 1024

type Rpc<A> = Effect.Effect<A, NodeRpcError, StorageRpc>

export const zgs = {
  getStatus: (url: string): Rpc<NodeStatus> => call(url, "zgs_getStatus", undefined, decodeStatus),
  getShardConfig: (url: string): Rpc<ShardConfig> => call(url, "zgs_getShardConfig", undefined, decodeShardConfig),
  getFileInfo: (url: string, root: string, needAvailable: boolean): Rpc<FileInfo | null> =>
    call(url, "zgs_getFileInfo", [root, needAvailable], decodeFileInfo),
  getFileInfoByTxSeq: (url: string, txSeq: number): Rpc<FileInfo | null> =>
    call(url, "zgs_getFileInfoByTxSeq", [txSeq], decodeFileInfo),
  uploadSegmentsByTxSeq: (url: string, segments: ReadonlyArray<SegmentWithProofJson>, txSeq: number): Rpc<null> =>
    call(url, "zgs_uploadSegmentsByTxSeq", [segments, txSeq], decodeNull),
  /** The same call with a body the caller encoded (see upload-body.ts). */
  uploadSegmentsEncoded: (url: string, encode: (id: number) => Uint8Array<ArrayBuffer>): Rpc<null> =>
    StorageRpc.use((rpc) => rpc.callEncoded(url, "zgs_uploadSegmentsByTxSeq", encode, decodeNull)),
  /** `dataBytes`: the segment's length as the file declares it; a longer reply is refused unread. */
  downloadSegmentWithProofByTxSeq: (
    url: string,
    txSeq: number,
    index: number,
    dataBytes = 262_144,
  ): Rpc<SegmentWithProofJson | null> =>
    call(url, "zgs_downloadSegmentWithProofByTxSeq", [txSeq, index], decodeSegmentWithProof, {
      maxBytes: segmentReplyCap(dataBytes),
    }),
  downloadSegmentByTxSeq: (url: string, txSeq: number, start: number, end: number): Rpc<string | null> =>
    call(url, "zgs_downloadSegmentByTxSeq", [txSeq, start, end], decodeStringOrNull, {
      maxBytes: segmentReplyCap(Math.max(0, end - start) * 256),
    }),
  checkFileFinalized: (url: string, txSeqOrRoot: number | string): Rpc<boolean | null> =>
    call(url, "zgs_checkFileFinalized", [txSeqOrRoot], decodeBoolOrNull),
}

export const indexer = {
  getShardedNodes: (url: string) => call(url, "indexer_getShardedNodes", undefined, decodeShardedNodeSets),
  getFileLocations: (url: string, root: string): Rpc<ReadonlyArray<ShardedNode>> =>
    call(url, "indexer_getFileLocations", [root], decodeShardedNodes),
}

/** True for the node's "already uploaded and finalized" answer, which clients treat as success. */
export const isAlreadyFinalized = (e: NodeRpcError): boolean => e.detail.includes("already uploaded and finalized")

/** Errors worth retrying on the same node: transport failures, HTTP errors, back-pressure. */
export const isTransient = (e: NodeRpcError): boolean =>
  (e.code === undefined && e.kind !== "too-large") || e.detail.includes("too many data writing")
