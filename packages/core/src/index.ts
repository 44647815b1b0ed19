// The whole of core: everything in light.js (effect only) plus the parts below that need ethers or fetch.

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
// The fine-tuning fee table and its arithmetic, public as a whole.
export * from "./fine-tuning-fees.js"
export type { TrainingParams } from "./fine-tuning-params.js"
export { FINE_TUNING_PROGRESS, type FineTuningProgress } from "./fine-tuning-progress.js"
export * from "./light.js"
export {
  type BoundedFetchOptions,
  type BoundedResponse,
  boundedExchange,
  boundedFetch,
  deadline,
  type ExchangeTarget,
  isProviderLimitError,
  METADATA_LIMITS,
  PROVIDER_ERROR_DETAIL_MAX,
  ProviderBodyTooLarge,
  type ProviderExchangeOptions,
  type ProviderLimitError,
  type ProviderLimits,
  type ProviderRequestInit,
  type ProviderSend,
  ProviderTimeout,
  pendingDeadlines,
  providerErrorDetail,
  providerExchange,
  providerRequest,
  providerSend,
  readBoundedBytes,
  type TimeoutPhase,
} from "./provider-http.js"
export { type FacadeRuntime, makeFacadeRuntime, runFacade } from "./runtime.js"
