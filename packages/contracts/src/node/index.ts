export { type AnvilInstance, type StartAnvilOptions, TEST_MNEMONIC, resolveAnvilBinary, startAnvil } from "./anvil.js"
export { ARTIFACT_NAMES, type Artifact, type ArtifactName, loadArtifact } from "./artifacts.js"
export {
  DEFAULT_LOCK_TIME,
  DEFAULT_PENALTY_PERCENTAGE,
  DEPLOYER_ADDRESS,
  DEPLOYER_PRIVATE_KEY,
  DEVNET_ADDRESSES,
  type DeployOptions,
  type DeployedContracts,
  FINE_TUNING_SERVICE_NAME,
  INFERENCE_SERVICE_NAME,
  deployContracts,
} from "./deploy.js"
