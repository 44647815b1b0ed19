/**
 * What one emulated storage node holds: the txs it learned from the chain and the verified segments it stored
 * (data on disk in its own temp dir, the upload proofs in memory — they are the download proofs too).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import {
  checkSegment,
  type FileLayout,
  fileLayout,
  foldRight,
  fromBase64,
  fromHex,
  type Keccak,
  type MerkleProofJson,
  proofFromJson,
  segmentWireLength,
  toHex,
} from "@0g-compute/storage"
import type { SubmittedTx } from "./chain.js"
import { internalError, invalidParams } from "./jsonrpc-server.js"

export interface ShardConfig {
  readonly shardId: number
  readonly numShard: number
}

export interface SegmentWithProofJson {
  readonly root: string
  readonly data: string
  readonly index: number
  readonly proof: MerkleProofJson
  readonly fileSize: number
}

export class FileRecord {
  readonly layout: FileLayout
  readonly root: string
  readonly proofs = new Map<number, MerkleProofJson>()
  finalized = false
  pruned = false

  constructor(
    readonly tx: SubmittedTx,
    keccak: Keccak,
    private readonly shard: ShardConfig,
  ) {
    this.layout = fileLayout(tx.size)
    this.root = toHex(
      foldRight(
        keccak,
        tx.nodes.map(([, r]) => fromHex(r, 32) as Uint8Array),
      ),
    )
  }

  /** File-local data segments this node's shard stores. */
  get needed(): number[] {
    const first = Math.floor(this.tx.startEntryIndex / 1024)
    const out: number[] = []
    for (let i = 0; i < this.layout.numSegments; i++) {
      if ((first + i) % this.shard.numShard === this.shard.shardId) out.push(i)
    }
    return out
  }

  fileInfo() {
    return {
      tx: {
        streamIds: [],
        data: [],
        dataMerkleRoot: this.root,
        merkleNodes: this.tx.nodes.map(([h, r]) => [h + 1, r]),
        startEntryIndex: this.tx.startEntryIndex,
        size: this.tx.size,
        seq: this.tx.seq,
      },
      finalized: this.finalized,
      isCached: false,
      uploadedSegNum: this.finalized ? this.needed.length : this.proofs.size,
      pruned: this.pruned,
    }
  }
}

export class NodeStore {
  readonly bySeq = new Map<number, FileRecord>()
  private readonly byRoot = new Map<string, FileRecord[]>()

  /** Called after this node stored a new verified segment (the devnet uses it to replicate to peers). */
  onStored: (seq: number, index: number, data: Uint8Array, proof: MerkleProofJson) => void = () => {}

  constructor(
    readonly dir: string,
    readonly shard: ShardConfig,
    private readonly keccak: Keccak,
  ) {
    mkdirSync(dir, { recursive: true })
  }

  addTx(tx: SubmittedTx): void {
    if (this.bySeq.has(tx.seq)) return
    const rec = new FileRecord(tx, this.keccak, this.shard)
    this.bySeq.set(tx.seq, rec)
    const list = this.byRoot.get(rec.root) ?? []
    list.push(rec)
    this.byRoot.set(rec.root, list)
  }

  /** Lookup rules of the node: first finalized; else first available (if asked); else first. */
  byRootLookup(root: string, needAvailable: boolean): FileRecord | undefined {
    const list = this.byRoot.get(root.toLowerCase()) ?? []
    return list.find((r) => r.finalized) ?? (needAvailable ? list.find((r) => !r.pruned) : list[0])
  }

  private path(rec: FileRecord, index: number) {
    return join(this.dir, `${rec.tx.seq}-${index}.seg`)
  }

  /** Validates and stores one segment (spec §4.4), finalizing the tx when its last needed segment arrives. */
  upload(seg: SegmentWithProofJson, rec: FileRecord): void {
    const data = typeof seg.data === "string" ? fromBase64(seg.data) : undefined
    if (!data || data.length === 0) throw invalidParams("data", "data is empty")
    if (data.length % 256 !== 0) throw invalidParams("data", "invalid data length")
    if (String(seg.root).toLowerCase() !== rec.root) throw internalError("data root and tx seq not match")
    if (seg.fileSize !== rec.tx.size) {
      throw invalidParams("file_size", "segment file size not matched with tx file size")
    }
    if (rec.finalized) throw invalidParams("root", "already uploaded and finalized")
    if (rec.pruned) throw invalidParams("root", "already pruned")
    if (!Number.isSafeInteger(seg.index) || seg.index < 0 || seg.index >= rec.layout.numSegments) {
      throw invalidParams("index", "index out of bound")
    }
    if (data.length !== segmentWireLength(rec.layout, seg.index)) throw invalidParams("data", "invalid data length")
    const proof = seg.proof && Array.isArray(seg.proof.lemma) ? proofFromJson(seg.proof) : undefined
    if (!proof) throw invalidParams("proof", "invalid proof format")
    const problem = checkSegment(this.keccak, rec.layout, {
      index: seg.index,
      data,
      proof,
      root: fromHex(rec.root, 32) as Uint8Array,
    })
    if (problem) throw invalidParams("proof", problem)
    if (rec.proofs.has(seg.index) || !rec.needed.includes(seg.index)) return
    const kept = { lemma: [...seg.proof.lemma], path: [...seg.proof.path] }
    this.store(rec, seg.index, data, kept)
    this.onStored(rec.tx.seq, seg.index, data, kept)
  }

  /** Takes a segment a peer already verified (p2p sync), if this node's shard wants it. */
  adopt(seq: number, index: number, data: Uint8Array, proof: MerkleProofJson): void {
    const rec = this.bySeq.get(seq)
    if (!rec || rec.proofs.has(index) || !rec.needed.includes(index)) return
    this.store(rec, index, data, proof)
  }

  private store(rec: FileRecord, index: number, data: Uint8Array, proof: MerkleProofJson): void {
    writeFileSync(this.path(rec, index), data)
    rec.proofs.set(index, proof)
    if (rec.needed.every((i) => rec.proofs.has(i))) rec.finalized = true
  }

  /** The stored wire bytes of a data segment (whole chunks), or undefined. */
  segment(rec: FileRecord, index: number): Uint8Array | undefined {
    if (!rec.proofs.has(index)) return undefined
    return new Uint8Array(readFileSync(this.path(rec, index)))
  }
}
