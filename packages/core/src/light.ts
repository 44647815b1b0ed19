/**
 * The part of core that needs only `effect` (no ethers): amounts and units, the error catalogue, network presets and the
 * Schemas. A bundle that must start fast (the CLI's `--help`) imports this entry statically and the rest lazily.
 */
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
export {
  type BrokerUsage,
  brokerResponseFormat,
  brokerUsage,
  type GoMember,
  goInt,
  goKey,
  goMembers,
} from "./broker-usage.js"
export {
  BelowMinimum,
  ChainMismatch,
  ClientClosed,
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
export { isRecord, parseJsonRecord } from "./json.js"
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
