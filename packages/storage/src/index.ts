/**
 * @0g-compute/storage — 0G Storage in TypeScript (browser-safe entry).
 * Node-only pieces (worker-thread hashing, file upload/download) live in `@0g-compute/storage/node`.
 */
export * from "./bytes.js"
export * from "./constants.js"
export * from "./errors.js"
export { computeRoot } from "./facade.js"
export {
  type ByteSource,
  checkProof,
  checkSegment,
  decompose,
  type FileLayout,
  type FileMerkle,
  fileLayout,
  foldRight,
  fullSegmentRoot,
  type HashOptions,
  type HashProgress,
  type Keccak,
  loadKeccak,
  MerkleAccumulator,
  MerkleBuilder,
  type MerkleProof,
  type MerkleProofJson,
  merkleOf,
  nextPow2,
  paddedChunkCount,
  proofFromJson,
  proofToJson,
  readSource,
  SegmentTree,
  type SubmissionNode,
  segmentChunkRange,
  segmentPaddedChunks,
  segmentWireLength,
  sourceSize,
  ZeroRoots,
} from "./merkle/index.js"
