export {
  formatZG,
  NEURON_PER_ZG,
  parseNeuronResult,
  parseZG,
  parseZGResult,
  parseZGSync,
  ZG_DECIMALS,
  ZGAmount,
} from "./amounts.js"
export { joinBytes } from "./bytes.js"
export {
  Chain,
  type ChainOptions,
  type ChainShape,
  chainLayerFromProvider,
  chainLayerFromRpc,
  makeChain,
  makeRpcProvider,
  parseAddress,
  parseAddressResult,
  parsePrivateKey,
  parsePrivateKeyResult,
  Wallet,
  type WalletShape,
  walletLayerFromPrivateKey,
  walletLayerFromSigner,
} from "./chain.js"
export {
  type ChainLayerError,
  type ConnectionOptions,
  ConnectionRequired,
  chainLayerFromOptions,
  type TxOptions,
  walletLayerFromOptions,
} from "./connection.js"
export {
  BelowMinimum,
  ChainMismatch,
  describeCause,
  InsufficientBalance,
  InvalidAddress,
  InvalidAmount,
  InvalidPrivateKey,
  isZgError,
  MalformedData,
  MalformedProviderResponse,
  ProviderHttpError,
  ProviderNotAcknowledged,
  ProviderUnreachable,
  RpcError,
  redactUrls,
  SignerRequired,
  UnknownChainId,
  UnknownNetwork,
  type ZgError,
} from "./errors.js"
export {
  FINE_TUNING_MODEL_FEES,
  type FineTuningFeeTerms,
  type FineTuningModelFee,
  fineTuningFee,
  fineTuningFeeTerms,
} from "./fine-tuning-fees.js"
export type { TrainingParams } from "./fine-tuning-params.js"
export { FINE_TUNING_PROGRESS, type FineTuningProgress } from "./fine-tuning-progress.js"
export {
  type ContractAddresses,
  isNetworkName,
  NETWORK_NAMES,
  NETWORKS,
  type NetworkName,
  type NetworkPreset,
  type NetworkSelection,
  networkForChainId,
  parseNetwork,
  type StorageContracts,
} from "./networks.js"
export * from "./provider-http.js"
export { type FacadeRuntime, makeFacadeRuntime, runFacade } from "./runtime.js"
export {
  Address,
  Deliverable,
  decodeChainStruct,
  FineTuningAccountDetails,
  FineTuningAccountSummary,
  FineTuningService,
  InferenceAccount,
  InferenceService,
  Ledger,
  Quota,
  Refund,
  ServiceInfo,
} from "./schemas.js"
