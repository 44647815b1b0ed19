/** @0g-compute/fine-tuning/node — files, verification, decryption, the pipeline and the Promise facade. */
export * from "../index.js"
export {
  type CallOptions,
  createFineTuningClient,
  type FineTuningClient,
  type FineTuningClientOptions,
  type FineTuningServices,
  fineTuningClientOn,
  fineTuningLayerOn,
} from "./client.js"
export { MAX_DATASET_BYTES, readDataset, type UploadDatasetOptions } from "./dataset.js"
export { FineTuningFiles, type FineTuningFilesShape } from "./files.js"
export type { DecryptModelOptions, ModelOutput, ModelSource, RootMatch } from "./model.js"
export type { PipelineEvent, PipelineOptions, PipelineResult, PipelineState } from "./pipeline.js"
