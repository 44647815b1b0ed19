/**
 * Flow padding and the submission split (spec storage-protocol.md §1.2, §2): pure arithmetic on sizes.
 */
import { CHUNK_SIZE, SEGMENT_CHUNKS } from "../constants.js"

export interface FileLayout {
  /** File length in bytes (`SubmissionData.length`, the node's `tx.size`). */
  readonly size: number
  /** ceil(size / 256). */
  readonly numChunks: number
  /** Chunk count after flow padding. */
  readonly paddedChunks: number
  /** Data segments actually transferred: ceil(numChunks / 1024). */
  readonly numSegments: number
  /** Leaves of the segment-level (proof) tree: ceil(paddedChunks / 1024). */
  readonly numSegmentsPadded: number
  /** Heights of the submission nodes, descending (chunks of node i = 2^heights[i]). */
  readonly nodeHeights: ReadonlyArray<number>
}

/** Smallest power of two ≥ n (n ≥ 1). */
export const nextPow2 = (n: number): number => {
  let p = 1
  while (p < n) p *= 2
  return p
}

/** Chunk count after flow padding: whole when a power of two, else rounded up to a multiple of nextPow2/16. */
export const paddedChunkCount = (numChunks: number): number => {
  const p = nextPow2(numChunks)
  if (p === numChunks) return numChunks
  const minChunk = p >= 16 ? p / 16 : 1
  return Math.ceil(numChunks / minChunk) * minChunk
}

/** Heights of the binary decomposition of `chunks`, descending. */
export const decompose = (chunks: number): number[] => {
  const heights: number[] = []
  let rest = chunks
  for (let h = Math.floor(Math.log2(Math.max(1, chunks))) + 1; h >= 0; h--) {
    const size = 2 ** h
    if (rest >= size) {
      heights.push(h)
      rest -= size
    }
  }
  return heights
}

/** The layout of a non-empty file of `size` bytes. */
export const fileLayout = (size: number): FileLayout => {
  if (!Number.isSafeInteger(size) || size <= 0)
    throw new RangeError(`file size must be a positive integer, got ${size}`)
  const numChunks = Math.ceil(size / CHUNK_SIZE)
  const paddedChunks = paddedChunkCount(numChunks)
  return {
    size,
    numChunks,
    paddedChunks,
    numSegments: Math.ceil(numChunks / SEGMENT_CHUNKS),
    numSegmentsPadded: Math.ceil(paddedChunks / SEGMENT_CHUNKS),
    nodeHeights: decompose(paddedChunks),
  }
}

/** Flow-padded leaf count of segment `index` (1024, or fewer for the last padded segment). */
export const segmentPaddedChunks = (layout: FileLayout, index: number): number =>
  Math.min(SEGMENT_CHUNKS, layout.paddedChunks - index * SEGMENT_CHUNKS)

/** Chunk range `[start, end)` of data segment `index` (file-local, unpadded). */
export const segmentChunkRange = (layout: FileLayout, index: number): readonly [number, number] => {
  const start = index * SEGMENT_CHUNKS
  return [start, Math.min(start + SEGMENT_CHUNKS, layout.numChunks)]
}

/** Exact byte length a node sends for data segment `index` (whole chunks; last chunk zero-padded). */
export const segmentWireLength = (layout: FileLayout, index: number): number => {
  const [start, end] = segmentChunkRange(layout, index)
  return (end - start) * CHUNK_SIZE
}

/** Sectors a submission pays for (Σ 2^height = paddedChunks). */
export const submissionSectors = (layout: FileLayout): bigint => BigInt(layout.paddedChunks)
