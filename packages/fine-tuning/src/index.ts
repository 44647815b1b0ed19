/**
 * @0g-compute/fine-tuning — browser-safe entry: the `FineTuning` service and its operations (services, models,
 * quote → acknowledge, dataset upload from bytes, tasks, progress, deliverables). Files (dataset paths, model
 * download, verification, decryption, the resumable pipeline) and the Promise facade live in
 * `@0g-compute/fine-tuning/node`.
 */
export * from "./attestation.js"
export * from "./deliverables.js"
export * from "./errors.js"
export * from "./fees.js"
export {
  errorDetail,
  type ProviderEndpoint,
  progressRank,
  type Task,
  type TaskProgress,
} from "./http.js"
export * from "./providers.js"
export {
  type AccountRecord,
  chainNow,
  contractParams,
  type DeliverableRecord,
  FineTuning,
  type FineTuningOptions,
  type FineTuningShape,
  getAccountRecord,
  getDeliverableRecord,
  getServiceRecord,
  type ResolvedOptions,
  type ServiceRecord,
} from "./service.js"
export * from "./tasks.js"
export * from "./training.js"
