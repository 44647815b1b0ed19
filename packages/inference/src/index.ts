/**
 * @0g-compute/inference — the inference client, browser-safe entry.
 *
 * Effect API: the services (`Directory`, `Attestation`, `Funding`, `RequestAuth`, `ApiKeys`, `InferenceRequests`,
 * `UsageMeter`) and their layers (`inferenceLayerOn(stack, options)`, `inferenceReadLayerOn(chain, options)`).
 * Promise facade: `createInferenceClient`, `createInferenceReader`.
 * Node-only parts (the local OpenAI-compatible gateway, a file key store) live in `@0g-compute/inference/node`.
 */
export {
  ADAPTER_STATES,
  AdapterDeployRefused,
  AdapterFailed,
  AdapterInfo,
  AdapterNotFound,
  type AdapterState,
  AdapterWaitTimeout,
  adapterName,
  adapterStatus,
  type DeployResult,
  deployAdapter,
  LoraNotEnabled,
  listAdapters,
  type WaitOptions,
  waitForAdapter,
} from "./adapters.js"
export { type QuoteAssessInput, type QuoteAssessment, quoteAssessor } from "./attestation/assessor.js"
export {
  AttestationRefused,
  checkComposePin,
  checkImagePin,
  composeImages,
  DEVNET_CHAIN_ID,
  devnetChainAllowed,
  type MeasurementPins,
  type PinStatus,
} from "./attestation/pins.js"
export {
  checkComposeHash,
  type EventLogEntry,
  type JsonCheck,
  type ParsedQuote,
  parseQuoteBody,
  replayRtmr3,
  signerInReportData,
  toHexString,
} from "./attestation/quote.js"
export {
  type AttestationCheck,
  type AttestationOptions,
  type AttestationReport,
  assessQuote,
  attestService,
  CHECK_NAMES,
  type CheckName,
  type CheckStatus,
  type QuoteFetchError,
  reportAccepted,
  reportRefusal,
} from "./attestation/report.js"
export {
  type AcknowledgeOptions,
  type AcknowledgeResult,
  Attestation,
  type AttestationShape,
  makeAttestation,
} from "./attestation/service.js"
export {
  DEFAULT_ACCEPTED_TCB,
  fetchTdxCollateral,
  type TdxCollateral,
  type TdxMeasurements,
  type TdxVerification,
  type VerifyTdxOptions,
  verifyTdxQuote,
} from "./attestation/tdx.js"
export {
  type ApiKeyInfo,
  type ApiKeyList,
  type ApiKeyStatus,
  ApiKeys,
  type ApiKeysShape,
  type CreateApiKeyOptions,
  type CreatedApiKey,
  makeApiKeys,
} from "./auth/api-keys.js"
export { type IssuedKey, KeyStore, type KeyStoreShape, makeMemoryKeyStore } from "./auth/key-store.js"
export {
  makeRequestAuth,
  RequestAuth,
  type RequestAuthShape,
  type SessionCredential,
  type SessionError,
} from "./auth/session.js"
export {
  type BillableUsage,
  type BillingPlan,
  brokerFee,
  type CacheBilling,
  type Fee,
  flatPlan,
  ModelPricing,
  matchedTier,
  type PricingTier,
  planFromModelCard,
  worstCasePrices,
} from "./billing.js"
export {
  billingPlan,
  type CatalogLoader,
  exchangeFee,
  forgetBillingPlans,
  PLAN_TTL_MS,
  planFromCatalog,
} from "./billing-plans.js"
export type { ReadError } from "./chain-reads.js"
export {
  DEFAULT_PCCS_URL,
  DEFAULT_SERVICE_REFRESH_MS,
  defaultInferenceConfig,
  InferenceConfig,
  type InferenceConfigShape,
  inferenceConfigLayer,
} from "./config.js"
export {
  Directory,
  type DirectoryShape,
  type ListServicesOptions,
  type LookupError,
  type ModelCatalog,
  type ModelInfo,
  makeDirectory,
  type ServicePage,
} from "./directory.js"
// errors.ts holds only the package's errors, and every error is public (the sdk re-exports each): the module is the list.
export * from "./errors.js"
export {
  type AmountInput,
  type AutoTopUp,
  createInferenceClient,
  createInferenceReader,
  type InferenceClient,
  type InferenceReader,
  inferenceClientOn,
} from "./facade.js"
export type { ExchangeResult, InferenceFetch, InferenceFetchOptions } from "./fetch/adapter.js"
export { canonicalJson } from "./fetch/canonical.js"
export {
  type ExchangeReply,
  type ExchangeRequest,
  type ExchangeStream,
  INFERENCE_FETCH_ERROR_TAGS,
  type InferenceFetchError,
  isInferenceFetchError,
} from "./fetch/exchange.js"
export {
  type EnsureResult,
  Funding,
  type FundingError,
  type FundingPolicy,
  type FundingShape,
  type FundingStatus,
  makeFunding,
  type TopUpHandle,
  type TopUpOptions,
  TopUpPending,
  type TopUpStats,
  UnsettledFeeDisputed,
} from "./funding.js"
export { errorDetail, mapRejection, type ProviderRejection } from "./http.js"
export {
  type ConnectionOptions,
  type InferenceReadServices,
  type InferenceServices,
  type InferenceStack,
  inferenceLayerOn,
  inferenceReadLayerOn,
} from "./layers.js"
export { InferenceRequests, type InferenceRequestsShape, type OpenAIClientOptions } from "./requests.js"
export { AdditionalInfo, type SignaturePayload } from "./schemas.js"
export { feeOf, type PriceView, type ProviderType, type ServiceView, toServiceView } from "./service-view.js"
export {
  attachDetail,
  type CatalogueModel,
  listServicesWithDetail,
  type ProviderHealth,
  ServiceHealthMetric,
  type ServicesWithDetail,
  type ServiceWithDetail,
  STATUS_API_MAINNET,
  STATUS_API_TESTNET,
  statusApiFor,
} from "./status-api.js"
export {
  makeUsageMeter,
  UsageMeter,
  type UsageMeterShape,
  type UsageRecord,
  type UsageSummary,
  type UsageTotals,
} from "./usage.js"
export {
  parseSignedText,
  type RoutingProof,
  type SignedText,
  signatureKey,
  type VerificationLevel,
} from "./verify/levels.js"
export { SseScanner, type TokenUsage } from "./verify/sse.js"
export {
  type ExchangeHashes,
  type Receipt,
  signatureUrlOf,
  VERIFICATION_FAILURE_TAGS,
  type VerificationError,
  verifiable,
  verificationRefusal,
  verifyExchange,
  verifyExchangePromise,
} from "./verify/verifier.js"
