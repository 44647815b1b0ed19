/**
 * @0g-compute/fine-tuning — browser-safe entry: the capability services `FineTuningProviders`, `FineTuningTasks` and
 * `FineTuningDeliverables` (methods are the operations), their tunables `FineTuningConfig`, errors, fees and training
 * configs. Files (dataset paths, model download, verification, decryption, the resumable pipeline) and the Promise
 * facade live in `@0g-compute/fine-tuning/node`.
 */
export {
  type AcknowledgeProviderOptions,
  DEVNET_CHAIN_ID,
  type ProviderAcknowledgement,
  type ProviderAttestationOptions,
  type ProviderVerification,
  type QuoteAssessInput,
  type QuoteAssessment,
  type QuoteAssessor,
  type QuoteCheck,
  QuoteRefused,
  QuoteRejected,
} from "./attestation.js"
export type { AccountRecord, DeliverableRecord, ServiceRecord } from "./chain.js"
export {
  FineTuningConfig,
  type FineTuningConfigShape,
  type FineTuningOptions,
  type FineTuningStorageOptions,
  fineTuningConfig,
  fineTuningConfigLayer,
} from "./config.js"
export { type DeadlineLevel, type DeliverableView, deadlineLevel, type PendingDeliverable } from "./deliverables.js"
// errors.ts holds only the package's errors, and every error is public (the sdk re-exports each): the module is the list.
export * from "./errors.js"
// The fee table and terms (from core) and the task fee built on them.
export * from "./fees.js"
export {
  defaultFineTuningHttpLimits,
  errorDetail,
  type FineTuningHttpLimits,
  type ProviderEndpoint,
  progressRank,
  type Task,
  type TaskProgress,
} from "./http.js"
export type { FineTuningServiceInfo } from "./providers.js"
export {
  FineTuningDeliverables,
  type FineTuningDeliverablesShape,
  FineTuningProviders,
  type FineTuningProvidersShape,
  FineTuningTasks,
  type FineTuningTasksShape,
} from "./services.js"
export type { CreatedTask, CreateTaskOptions } from "./task-create.js"
export { shortfall, type WatchOptions } from "./tasks.js"
export {
  DEFAULT_TRAINING_PARAMS,
  estimateFee,
  estimateTokens,
  type ModelInfo,
  PREDEFINED_MODELS,
  parseTrainingConfig,
  resolveModel,
  type TrainingConfig,
  type TrainingParams,
  trainingParamsText,
} from "./training.js"
