export { type AnvilInstance, resolveAnvilBinary, type StartAnvilOptions, startAnvil, TEST_MNEMONIC } from "./anvil.js"
export { ARTIFACT_NAMES, type Artifact, type ArtifactName, loadArtifact } from "./artifacts.js"
export {
  DEFAULT_LOCK_TIME,
  DEFAULT_PENALTY_PERCENTAGE,
  DEPLOYER_ADDRESS,
  DEPLOYER_PRIVATE_KEY,
  DEVNET_ADDRESSES,
  type DeployedContracts,
  type DeployOptions,
  deployContracts,
  deployReference,
  FINE_TUNING_SERVICE_NAME,
  INFERENCE_SERVICE_NAME,
} from "./deploy.js"
export { fileTxJournal, fileTxJournalLayer } from "./journal-file.js"
export { minedReceipt, waitForReceipt } from "./receipts.js"
