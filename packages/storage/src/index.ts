/**
 * @0g-compute/storage — 0G Storage in TypeScript (browser-safe entry).
 * Node-only pieces (worker-thread hashing, file upload/download) live in `@0g-compute/storage/node`.
 */
export * from "./bytes.js"
export {
  type CreateStorageClientOptions,
  createStorageClient,
  type StorageCallOptions,
  type StorageClient,
  type StorageDownloadOptions,
  type StorageUploadOptions,
} from "./client.js"
export * from "./config.js"
export * from "./constants.js"
export * from "./download.js"
export * from "./errors.js"
export {
  type AnyProgress,
  clientLayer,
  computeRoot,
  type DownloadFacadeOptions,
  downloadBytes,
  payerLayer,
  type StorageClientOptions,
  storageChainLayer,
  type UploadFacadeOptions,
  uploadBytes,
} from "./facade.js"
export * from "./flow.js"
export * from "./locate.js"
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
export * from "./poll.js"
export * from "./rpc/node-api.js"
export * from "./rpc/transport.js"
export * from "./rpc/types.js"
export * from "./upload.js"
