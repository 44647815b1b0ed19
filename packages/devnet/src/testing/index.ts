/**
 * `@0g-compute/devnet/testing`, the workspace's one devnet test-fixture entry: devnets as tests start them, raw clients
 * of the emulated providers, and failure helpers. Plain functions (no test runner): each package's src/testing wraps
 * them in its runner's hooks with what is its own (its clients). In package.json "exports" only, not publishConfig.
 */
export { failure, pseudoRandomBytes } from "@0g-compute/core/testing"
export { MEDIA_PROVIDERS, startExtraProvider, startTestDevnet } from "./devnet.js"
export {
  type FineTuningDevnet,
  type FineTuningTestOptions,
  startFineTuningDevnet,
  TEST_CHUNK_SIZE,
  TRAINING_PARAMS,
} from "./fine-tuning.js"
export { MOCK_MODEL, postJson, postTask, taskBody, uploadDataset } from "./fine-tuning-http.js"
export { statusOfUnfinishedBody } from "./http.js"
export {
  chat,
  craftToken,
  E,
  type Exchange,
  fund,
  getJson,
  mined,
  type Rpc,
  rpcOf,
  serving,
  signatureOf,
  signer,
  sseChunks,
  token,
  UUID_V4,
  verify,
} from "./inference.js"
export { type RepricableService, repricableService } from "./service.js"
export { type StorageChain, startStorageChain } from "./storage.js"
