/** 0G Storage layout constants (spec storage-protocol.md §1.1). */

/** A chunk (= sector = flow entry): the leaf unit of every merkle tree. */
export const CHUNK_SIZE = 256
/** Chunks per segment: the transfer and proof unit. */
export const SEGMENT_CHUNKS = 1024
/** Bytes per segment (262 144). */
export const SEGMENT_SIZE = CHUNK_SIZE * SEGMENT_CHUNKS
/** log2(SEGMENT_CHUNKS): the height of a full segment's subtree. */
export const SEGMENT_HEIGHT = 10
/** Width of a keccak-256 digest. */
export const HASH_SIZE = 32
