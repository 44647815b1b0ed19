/**
 * One streaming pass over a file's bytes giving its root, submission nodes and segment-tree leaves, with memory
 * bounded by one segment. Full segments are hashed straight from the caller's buffer; padding is never hashed.
 */

import { toHex } from "../bytes.js"
import { CHUNK_SIZE, HASH_SIZE, SEGMENT_CHUNKS, SEGMENT_HEIGHT, SEGMENT_SIZE } from "../constants.js"
import type { Keccak } from "./keccak.js"
import { decompose, type FileLayout, fileLayout, segmentPaddedChunks } from "./layout.js"
import { foldRight, MerkleAccumulator, ZeroRoots } from "./tree.js"

export interface SubmissionNode {
  /** log2 of the chunks the node covers. */
  readonly height: number
  readonly root: `0x${string}`
}

/** Everything the protocol derives from a file's bytes. */
export interface FileMerkle {
  readonly root: `0x${string}`
  readonly layout: FileLayout
  /** Flow submission nodes, tallest first; the root is their right fold. */
  readonly nodes: ReadonlyArray<SubmissionNode>
  /** Leaves of the segment-level proof tree (`layout.numSegmentsPadded` digests). */
  readonly segmentRoots: ReadonlyArray<Uint8Array>
}

/** Root of a complete tree over one full 256 KiB segment. */
export const fullSegmentRoot = (keccak: Keccak, segment: Uint8Array): Uint8Array =>
  keccak.chunkTreeRoot(segment, SEGMENT_CHUNKS)

/** Thrown by {@link MerkleBuilder.finish} for empty input, which has no root. */
export class EmptyInputError extends Error {
  constructor() {
    super("empty input has no 0G storage root")
  }
}

export class MerkleBuilder {
  private readonly zeros: ZeroRoots
  private readonly acc: MerkleAccumulator
  private readonly segment = new Uint8Array(SEGMENT_SIZE)
  private readonly scratch = new Uint8Array(SEGMENT_CHUNKS * HASH_SIZE)
  private readonly segmentRoots: Uint8Array[] = []
  private fill = 0
  /** Bytes consumed so far. */
  size = 0

  constructor(private readonly keccak: Keccak) {
    this.zeros = new ZeroRoots(keccak)
    this.acc = new MerkleAccumulator(keccak, this.zeros)
  }

  update(data: Uint8Array): void {
    let off = 0
    if (this.fill > 0) {
      const take = Math.min(SEGMENT_SIZE - this.fill, data.length)
      this.segment.set(data.subarray(0, take), this.fill)
      this.fill += take
      off = take
      if (this.fill === SEGMENT_SIZE) {
        this.addSegmentRoot(fullSegmentRoot(this.keccak, this.segment))
        this.fill = 0
      }
    }
    while (data.length - off >= SEGMENT_SIZE) {
      this.addSegmentRoot(fullSegmentRoot(this.keccak, data.subarray(off, off + SEGMENT_SIZE)))
      off += SEGMENT_SIZE
    }
    if (off < data.length) {
      this.segment.set(data.subarray(off), 0)
      this.fill = data.length - off
    }
    this.size += data.length
  }

  /** Appends the root of the next full segment when it was hashed elsewhere (a worker). */
  pushSegmentRoot(root: Uint8Array): void {
    if (this.fill !== 0) throw new Error("pushSegmentRoot needs a segment-aligned position")
    this.addSegmentRoot(root)
    this.size += SEGMENT_SIZE
  }

  private addSegmentRoot(root: Uint8Array): void {
    this.segmentRoots.push(root)
    this.acc.push(SEGMENT_HEIGHT, root)
  }

  /** Completes the tree; throws {@link EmptyInputError} when nothing was fed. */
  finish(): FileMerkle {
    if (this.size === 0) throw new EmptyInputError()
    const layout = fileLayout(this.size)
    if (this.fill > 0) {
      const tailChunks = Math.ceil(this.fill / CHUNK_SIZE)
      this.segment.fill(0, this.fill, tailChunks * CHUNK_SIZE)
      const tail = this.segment.subarray(0, tailChunks * CHUNK_SIZE)
      this.keccak.chunkDigests(tail, tailChunks, this.scratch, 0)
      for (let i = 0; i < tailChunks; i++) this.acc.push(0, this.scratch.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE))
      const index = this.segmentRoots.length
      const padded = segmentPaddedChunks(layout, index)
      this.segmentRoots.push(this.keccak.chunkTreeRoot(tail, padded))
    }
    this.acc.padTo(layout.paddedChunks)
    for (let j = this.segmentRoots.length; j < layout.numSegmentsPadded; j++) {
      const heights = decompose(segmentPaddedChunks(layout, j))
      this.segmentRoots.push(
        foldRight(
          this.keccak,
          heights.map((h) => this.zeros.get(h)),
        ),
      )
    }
    const subtrees = this.acc.subtrees()
    const heights = subtrees.map((s) => s.height)
    if (heights.join() !== layout.nodeHeights.join()) {
      throw new Error(`internal: node heights ${heights} differ from layout ${layout.nodeHeights}`)
    }
    return {
      root: toHex(this.acc.root()),
      layout,
      nodes: subtrees.map((s) => ({ height: s.height, root: toHex(s.root) })),
      segmentRoots: this.segmentRoots.slice(),
    }
  }
}
