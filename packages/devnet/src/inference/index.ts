/** The emulated inference provider of the devnet. */

export { MINIMUM_LOCKED_BALANCE } from "./auth.js"
export { computeFees, extractUsage, FeeLedger, type FeeRecord, type Fees, type Usage, wordCount } from "./billing.js"
export {
  type BrokerMode,
  DEVNET_TLS_FINGERPRINT,
  type EmulatedProviderType,
  goMarshal,
  isLeakHeader,
} from "./broker2026.js"
export { type HostileClose, type HostileMode, HostileObserver, HUGE_BODY_BYTES } from "./hostile.js"
export {
  type AdapterRegistration,
  type AdapterState,
  type EmulatedAdapter,
  isLoraModel,
  LoraAdapters,
  makeAdapterName,
} from "./lora.js"
export {
  audioSeconds,
  DEVNET_TRANSCRIPT,
  type EmulatedServiceType,
  MEDIA_ROUTES,
  tinyPng,
} from "./media.js"
export {
  type BillingPrices,
  billingPrices,
  brokerCharge,
  type EmulatedBilling,
  type EmulatedCacheBilling,
  type EmulatedModelPrice,
  type EmulatedTier,
  onChainCeiling,
  pricingCard,
  servedModels,
} from "./pricing.js"
export { PromptCache } from "./prompt-cache.js"
export {
  DEFAULT_INPUT_PRICE,
  DEFAULT_OUTPUT_PRICE,
  DEFAULT_SETTLE_INTERVAL_MS,
  startInferenceProvider,
} from "./provider.js"
export { makeQuote, modelsList, reportData } from "./quote.js"
export { INFERENCE_ADDITIONAL_INFO } from "./register.js"
export { MAX_SETTLEMENTS_PER_TX } from "./settlement.js"
export { SIGNATURE_TTL_MS, type SignaturePayload } from "./signatures.js"
export { type StatusApi, type StatusTarget, startStatusApi } from "./status.js"
export type * from "./types.js"
