/**
 * Typed storage errors. Each is an `Error` with a `_tag`, fields a program can act on and a one-line message, so the
 * Promise facade rejects with them unchanged.
 */
import { describeCause, formatZG, redactUrls } from "@0g-compute/core"
import { Data } from "effect"

// Messages show URLs as scheme and host only (an indexer or node URL may carry an API key); the fields keep them whole.
const detailOf = describeCause

/** Errors after the storage fee was paid name the transaction: a re-run resumes it instead of paying again. */
const paidIn = (txHash: string | undefined) =>
  txHash === undefined ? "" : ` (fee paid in tx ${txHash}; run the upload again to finish it without paying again)`

/** Empty input has no root: Flow, the nodes and every client reject it. */
export class EmptyFile extends Data.TaggedError("EmptyFile")<{ readonly what: string }> {
  override get message() {
    return `${this.what} is empty; 0G storage has no root for empty input`
  }
}

/** The input (file, Blob, stream) could not be read. */
export class SourceReadError extends Data.TaggedError("SourceReadError")<{
  readonly what: string
  readonly cause: unknown
  /** The submit that paid for the upload, when the read failed after payment. */
  readonly txHash?: string
}> {
  override get message() {
    return `Cannot read ${this.what}: ${detailOf(this.cause)}${paidIn(this.txHash)}`
  }
}

/** A local file operation failed (temp file, rename, state file). */
export class FileWriteError extends Data.TaggedError("FileWriteError")<{
  readonly path: string
  readonly cause: unknown
}> {
  override get message() {
    return `Cannot write ${this.path}: ${detailOf(this.cause)}`
  }
}

/**
 * What went wrong with a node or indexer call: `rpc` a JSON-RPC error object, `http` a non-2xx status, `network` the
 * connection, `timeout` a deadline (see `NodeRpcError.limit`), `too-large` the body cap, `malformed` the reply.
 */
export type NodeFailureKind = "rpc" | "http" | "network" | "timeout" | "too-large" | "malformed"

/** A storage node or indexer failed: transport, deadline, body cap, HTTP status, malformed reply or a JSON-RPC error. */
export class NodeRpcError extends Data.TaggedError("NodeRpcError")<{
  readonly url: string
  readonly method: string
  /** JSON-RPC error code, when the node answered with an error object. */
  readonly code: number | undefined
  readonly detail: string
  /** Defaults to `rpc` when `code` is set, else `network`. */
  readonly kind?: NodeFailureKind
  /** The exceeded limit: milliseconds for `timeout`, bytes for `too-large`. */
  readonly limit?: number
}> {
  override get message() {
    return redactUrls(`${this.method} on ${this.url} failed: ${this.detail}`)
  }
}

/** No node (from the indexer or the given list) holds the finalized file. */
export class NoNodeHasFile extends Data.TaggedError("NoNodeHasFile")<{
  readonly root: string
  readonly tried: ReadonlyArray<string>
  /** Why each failing node or indexer call failed (timeouts, body caps, errors). */
  readonly reasons?: ReadonlyArray<string>
}> {
  override get message() {
    const why = this.reasons?.length ? `: ${this.reasons.slice(0, 3).join("; ")}` : ""
    return redactUrls(`No storage node has finalized file ${this.root} (asked ${this.tried.length} node(s))${why}`)
  }
}

/** A download into memory of a file larger than one byte array holds (download it to a file instead). */
export class FileTooLargeForMemory extends Data.TaggedError("FileTooLargeForMemory")<{
  readonly root: string
  readonly size: number
}> {
  override get message() {
    return `File ${this.root} is ${this.size} bytes, more than fits in memory: download it to a file (downloadFile)`
  }
}

/** A segment's proof (or its data) does not match the expected root. */
export class ProofInvalid extends Data.TaggedError("ProofInvalid")<{
  readonly root: string
  readonly segment: number
  readonly node: string
  readonly reason: string
}> {
  override get message() {
    return redactUrls(`Segment ${this.segment} of ${this.root} from ${this.node} failed verification: ${this.reason}`)
  }
}

/** Every node served a bad or missing copy of a segment. */
export class SegmentUnavailable extends Data.TaggedError("SegmentUnavailable")<{
  readonly root: string
  readonly segment: number
  readonly reasons: ReadonlyArray<string>
}> {
  override get message() {
    return redactUrls(`No node served a valid segment ${this.segment} of ${this.root}: ${this.reasons.join("; ")}`)
  }
}

/** The bytes' recomputed root differs from the expected one. */
export class RootMismatch extends Data.TaggedError("RootMismatch")<{
  readonly expected: string
  readonly actual: string
}> {
  override get message() {
    return `Merkle root mismatch: expected ${this.expected}, computed ${this.actual}`
  }
}

/** The Flow contract refused the fee (`NotEnoughFee`) or the signer cannot pay it. Amounts in neuron. */
export class FeeTooLow extends Data.TaggedError("FeeTooLow")<{
  readonly required: bigint
  readonly paid: bigint
}> {
  override get message() {
    return `Storage fee too low: need ${this.required} neuron, paid ${this.paid}`
  }
}

/** The submit transaction failed or reverted. */
export class TxReverted extends Data.TaggedError("TxReverted")<{
  readonly txHash: string | undefined
  readonly reason: string
}> {
  override get message() {
    return redactUrls(`Flow submit ${this.txHash ?? "(not sent)"} reverted: ${this.reason}`)
  }
}

/** A node reports a Flow contract other than the pinned one (it could redirect payments). */
export class FlowAddressMismatch extends Data.TaggedError("FlowAddressMismatch")<{
  readonly node: string
  readonly expected: string
  readonly reported: string
}> {
  override get message() {
    return redactUrls(`Node ${this.node} uses Flow ${this.reported}, expected ${this.expected}`)
  }
}

/** No Flow contract is pinned for the signer's chain: nobody else may tell us whom to pay. */
export class FlowNotPinned extends Data.TaggedError("FlowNotPinned")<{ readonly chainId: bigint }> {
  override get message() {
    return `No storage Flow contract is pinned for chain ${this.chainId}: pass flowAddress (CLI: --flow <address>)`
  }
}

/** A node serves another chain than the one we pay on. */
export class NodeChainMismatch extends Data.TaggedError("NodeChainMismatch")<{
  readonly node: string
  readonly expected: bigint
  readonly reported: bigint
}> {
  override get message() {
    return redactUrls(`Node ${this.node} reports chain ${this.reported}, expected ${this.expected}`)
  }
}

/** The pinned Flow reports a market other than the pinned one. */
export class MarketAddressMismatch extends Data.TaggedError("MarketAddressMismatch")<{
  readonly flow: string
  readonly expected: string
  readonly reported: string
}> {
  override get message() {
    return `Flow ${this.flow} uses market ${this.reported}, expected ${this.expected}`
  }
}

/**
 * The Flow is not the network preset's and no market was pinned for it, so its price is only its own claim: the
 * caller must pin the market or bound the fee.
 */
export class MarketNotPinned extends Data.TaggedError("MarketNotPinned")<{
  readonly flow: string
  readonly market: string
  /** What that market would charge for this file, in neuron. */
  readonly fee: bigint
}> {
  override get message() {
    return `Flow ${this.flow} reports market ${this.market}, which is not pinned (it asks ${formatZG(this.fee)} 0G): pass marketAddress (--market) or maxFee (--max-fee)`
  }
}

/** The storage fee (sectors × pricePerSector, neuron) exceeds the caller's ceiling; nothing was sent. */
export class StorageFeeAboveMax extends Data.TaggedError("StorageFeeAboveMax")<{
  readonly fee: bigint
  readonly maxFee: bigint
  readonly sectors: bigint
  readonly pricePerSector: bigint
}> {
  override get message() {
    const price = `${this.sectors} sectors × ${this.pricePerSector} neuron`
    return `Storage fee ${formatZG(this.fee)} 0G (${price}) exceeds the maximum ${formatZG(this.maxFee)} 0G; nothing was sent`
  }
}

/** Bounded polling gave up. */
export class StorageTimeout extends Data.TaggedError("StorageTimeout")<{
  readonly what: string
  readonly waitedMs: number
  /** The submit that paid for the upload, when the wait came after payment. */
  readonly txHash?: string
}> {
  override get message() {
    return redactUrls(`Timed out after ${this.waitedMs} ms waiting for ${this.what}${paidIn(this.txHash)}`)
  }
}

/** The operation was cancelled through its AbortSignal. */
export class StorageAborted extends Data.TaggedError("StorageAborted")<{
  readonly what: string
  /** The submit that paid for an upload aborted after payment. */
  readonly txHash?: string
}> {
  override get message() {
    return `${this.what} was aborted${paidIn(this.txHash)}`
  }
}

/** A node answered with data that contradicts the chain or the request (wrong size, wrong tx, bad shape). */
export class NodeMisbehaved extends Data.TaggedError("NodeMisbehaved")<{
  readonly node: string
  readonly detail: string
  /** The submit that paid for the upload, when this came after payment. */
  readonly txHash?: string
}> {
  override get message() {
    return redactUrls(`Storage node ${this.node} misbehaved: ${this.detail}${paidIn(this.txHash)}`)
  }
}

/** The file was submitted but the upload could not complete on any node. */
export class UploadFailed extends Data.TaggedError("UploadFailed")<{
  readonly root: string
  readonly txSeq: number
  readonly detail: string
  /** The submit that paid for the upload (undefined when an earlier payment by someone else was reused). */
  readonly txHash?: string
}> {
  override get message() {
    return redactUrls(`Upload of ${this.root} (txSeq ${this.txSeq}) failed: ${this.detail}${paidIn(this.txHash)}`)
  }
}

/**
 * The submit paying the storage fee was mined, but its Submit log (the txSeq) could not be read. The payment is
 * recorded with the upload's resume state: a re-run reads it again instead of paying twice.
 */
export class SubmitUnconfirmed extends Data.TaggedError("SubmitUnconfirmed")<{
  readonly txHash: string
  readonly detail: string
}> {
  override get message() {
    return redactUrls(
      `Flow submit ${this.txHash} was sent but its Submit log could not be read (${this.detail}); run the upload again to finish it without paying again`,
    )
  }
}

/** Neither an indexer nor node URLs were configured, or none of them can serve the request. */
export class NoStorageNodes extends Data.TaggedError("NoStorageNodes")<{ readonly reason: string }> {
  override get message() {
    return `No usable storage nodes: ${this.reason}`
  }
}

/** The download destination already exists (pass `overwrite` to replace it). */
export class OutputExists extends Data.TaggedError("OutputExists")<{ readonly path: string }> {
  override get message() {
    return `${this.path} already exists`
  }
}

/** A download output is not a regular file we may create or replace (a symlink, device, FIFO or directory). */
export class UnsafeOutput extends Data.TaggedError("UnsafeOutput")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Refusing to write ${this.path}: ${this.reason}`
  }
}
