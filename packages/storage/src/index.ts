/**
 * @0g-compute/storage — 0G Storage in TypeScript (browser-safe entry).
 * Node-only pieces (worker-thread hashing, file upload/download) live in `@0g-compute/storage/node`.
 */
export { bytesEqual, decodeBase64, encodeBase64, fromBase64, fromHex, toBase64, toHex } from "./bytes.js"
export {
  type CreateStorageClientOptions,
  createStorageClient,
  type StorageCallOptions,
  type StorageClient,
  type StorageDownloadOptions,
  type StorageUploadOptions,
} from "./client.js"
export {
  makeStorageConfig,
  StorageConfig,
  type StorageConfigShape,
  type StorageOptions,
  storageConfigLayer,
} from "./config.js"
export { CHUNK_SIZE, HASH_SIZE, SEGMENT_CHUNKS, SEGMENT_HEIGHT, SEGMENT_SIZE } from "./constants.js"
export {
  type DownloadPlan,
  type DownloadProgress,
  downloadBytesEffect,
  type FetchOptions,
  type FileSource,
  fetchSegments,
  locateFile,
  type SegmentSink,
} from "./download.js"
// errors.ts holds only the package's errors, and every error is public (the sdk re-exports each): the module is the list.
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
export {
  FLOW_ABI,
  flowInterface,
  MARKET_ABI,
  type PaidSubmission,
  paidSubmission,
  quoteStorageFee,
  type StorageQuote,
  type SubmitError,
  type SubmitResult,
  sectorsOf,
  submissionOf,
  submitFile,
  submitIntent,
  submitLogOf,
} from "./flow.js"
export {
  answeringUploadNodes,
  coversSegment,
  fileLocations,
  MAX_INDEXER_LOCATIONS,
  MAX_UPLOAD_PROBES,
  type NodeRef,
  selectCovering,
  uploadCandidates,
  uploadNodes,
} from "./locate.js"
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
export { pollUntil, retryTransient } from "./poll.js"
export { indexer, isAlreadyFinalized, isTransient, zgs } from "./rpc/node-api.js"
export {
  type CallLimits,
  DEFAULT_MAX_RESPONSE_BYTES,
  type FetchRpcOptions,
  makeFetchRpc,
  StorageRpc,
  type StorageRpcShape,
} from "./rpc/transport.js"
// The node and indexer wire shapes and their decoders, public as a whole.
export * from "./rpc/types.js"
export {
  blobSource,
  bytesSource,
  pinnedStorage,
  type RandomAccessSource,
  type UploadEnv,
  type UploadError,
  type UploadHashError,
  type UploadOptions,
  type UploadProgress,
  type UploadResult,
  type UploadResumeStore,
  type UploadState,
  uploadBytesEffect,
  uploadWithMerkle,
} from "./upload.js"
