/**
 * The fine-tuning Promise facade's interface (what `createFineTuningClient(options)` returns). Each method runs the
 * service operation of the same name and rejects with its typed error.
 */
import type { Effect, Redacted } from "effect"
import type { AcknowledgeProviderOptions, ProviderAttestationOptions } from "../attestation.js"
import type { Task } from "../http.js"
import type { FineTuningDeliverablesShape, FineTuningProvidersShape, FineTuningTasksShape } from "../services.js"
import type { CreateTaskOptions } from "../task-create.js"
import type { WatchOptions } from "../tasks.js"
import type { UploadDatasetOptions } from "./dataset.js"
import type { FineTuningFilesShape } from "./files.js"
import type { ModelOutput } from "./model.js"
import type { PipelineOptions } from "./pipeline.js"

/** Per-call cancellation. */
export interface CallOptions {
  readonly signal?: AbortSignal
}

// The promise of what an operation succeeds with.
// biome-ignore lint/suspicious/noExplicitAny: any operation's parameters
type Out<F extends (...args: any) => Effect.Effect<unknown, unknown, unknown>> = Promise<Effect.Success<ReturnType<F>>>

export interface FineTuningClient {
  /**
   * The wallet address (EIP-55).
   *
   * @example
   * const owner = ft.address // "0x…", the address that pays
   */
  readonly address: string
  /**
   * The registered fine-tuning providers.
   *
   * @example
   * const [service] = await ft.listServices()
   */
  listServices(o?: { includeUnvetted?: boolean }): Out<FineTuningProvidersShape["list"]>
  /**
   * One provider's service; rejects when it is not registered.
   *
   * @example
   * const service = await ft.getService(provider)
   */
  getService(provider: string): Out<FineTuningProvidersShape["get"]>
  /**
   * Models to train: the predefined ones and, with `provider`, the provider's own.
   *
   * @example
   * const [model] = await ft.listModels(provider)
   */
  listModels(provider?: string): Out<FineTuningProvidersShape["models"]>
  /**
   * The quote's attestation report (inference's with `assess`); refusals are reported, not thrown.
   *
   * @example
   * const report = await ft.verifyProvider(provider)
   */
  verifyProvider(provider: string, o?: ProviderAttestationOptions): Out<FineTuningProvidersShape["verify"]>
  /**
   * Refused on a failed attestation unless opted in (`allowDevnet` on the devnet, `allowUnverified`).
   *
   * @example
   * await ft.acknowledgeProvider(provider, { allowDevnet: true })
   */
  acknowledgeProvider(provider: string, o?: AcknowledgeProviderOptions): Out<FineTuningProvidersShape["acknowledge"]>
  /**
   * To 0G Storage when configured (datasetHash = root), else through the provider route.
   *
   * @example
   * const { datasetHash, tokens } = await ft.uploadDataset(provider, "data.jsonl")
   */
  uploadDataset(provider: string, path: string, o?: UploadDatasetOptions): Out<FineTuningFilesShape["uploadDataset"]>
  /**
   * Funds the sub-account for the fee and creates the task.
   *
   * @example
   * const { taskId } = await ft.createTask({ provider, model: model.name, datasetHash, trainingParams, tokens })
   */
  createTask(o: CreateTaskOptions): Out<FineTuningTasksShape["create"]>
  /**
   * The fee `createTask` would fund (the broker's formula), without funding or creating anything.
   *
   * @example
   * const fee = await ft.quoteTaskFee({ provider, model: model.name, datasetHash, trainingParams, tokens })
   */
  quoteTaskFee(o: Parameters<FineTuningTasksShape["quoteFee"]>[0]): Out<FineTuningTasksShape["quoteFee"]>
  /**
   * This wallet's tasks at `provider`.
   *
   * @example
   * const tasks = await ft.listTasks(provider)
   */
  listTasks(provider: string): Out<FineTuningTasksShape["list"]>
  /**
   * One task with its progress.
   *
   * @example
   * const { progress } = await ft.getTask(provider, taskId)
   */
  getTask(provider: string, taskId: string): Out<FineTuningTasksShape["get"]>
  /**
   * The training log so far.
   *
   * @example
   * const log = await ft.getLog(provider, taskId) // the trainer's output, as text
   */
  getLog(provider: string, taskId: string): Out<FineTuningTasksShape["log"]>
  /**
   * Cancels a task that has not finished.
   *
   * @example
   * await ft.cancelTask(provider, taskId)
   */
  cancelTask(provider: string, taskId: string): Out<FineTuningTasksShape["cancel"]>
  /**
   * Waits until `until` (default Delivered), calling `onProgress` on each change; the CLI's progress bar.
   *
   * @example
   * const delivered = await ft.watch(provider, taskId, { onProgress: (t) => bar.update(t.progress) })
   */
  watch(
    provider: string,
    taskId: string,
    o?: WatchOptions & { onProgress?: (task: Task) => void } & CallOptions,
  ): Out<FineTuningTasksShape["wait"]>
  /**
   * The same progress as an async iterable.
   *
   * @example
   * for await (const task of await ft.watchIterable(provider, taskId)) bar.update(task.progress)
   */
  watchIterable(provider: string, taskId: string, o?: WatchOptions): Promise<AsyncIterable<Task>>
  /**
   * The delivered model's record on chain (root hash, acknowledged, secret released).
   *
   * @example
   * const { modelRootHash } = await ft.getDeliverable(provider, taskId)
   */
  getDeliverable(provider: string, taskId: string): Out<FineTuningDeliverablesShape["get"]>
  /**
   * Deliverables waiting for this wallet's acknowledgement.
   *
   * @example
   * const pending = await ft.pendingDeliverables()
   */
  pendingDeliverables(): Out<FineTuningDeliverablesShape["pending"]>
  /**
   * Downloads the encrypted model (no verification, no acknowledgement). An existing file is `OutputExists` unless
   * `overwrite`.
   *
   * @example
   * await ft.downloadModel(provider, taskId, "model.enc")
   */
  downloadModel(
    provider: string,
    taskId: string,
    outPath: string,
    o?: { overwrite?: boolean },
  ): Out<FineTuningFilesShape["downloadModel"]>
  /**
   * Download → verify root and TEE signature → acknowledge on chain. An existing output is `OutputExists` (checked
   * before anything is fetched) unless `overwrite`.
   *
   * @example
   * await ft.acknowledgeModel(provider, taskId, { output: "model.enc" })
   */
  acknowledgeModel(
    provider: string,
    taskId: string,
    o?: ModelOutput & { output?: string },
  ): Out<FineTuningFilesShape["acknowledgeModel"]>
  /**
   * Acknowledge WITHOUT verifying (unlocks the queue before the penalty deadline).
   *
   * @example
   * await ft.acknowledgeWithoutDownload(provider, taskId)
   */
  acknowledgeWithoutDownload(
    provider: string,
    taskId: string,
  ): Out<FineTuningDeliverablesShape["acknowledgeWithoutDownload"]>
  /**
   * Waits until the provider has released the model's key on chain.
   *
   * @example
   * await ft.waitForSecret(provider, taskId)
   */
  waitForSecret(provider: string, taskId: string, call?: CallOptions): Promise<void>
  /**
   * Decrypts the acknowledged model with the wallet's key.
   *
   * @example
   * await ft.decryptModel(provider, taskId, { encryptedPath: "model.enc", output: "model.zip" })
   */
  decryptModel(
    provider: string,
    taskId: string,
    o: { output: string; encryptedPath?: string; privateKey?: Redacted.Redacted<string> },
  ): Out<FineTuningFilesShape["decryptModel"]>
  /**
   * The resumable pipeline; rerun with the same state file to continue.
   *
   * @example
   * await ft.run({ provider, datasetPath, model, trainingParams, outputDir })
   */
  run(
    o: Omit<PipelineOptions, "privateKey"> & { privateKey?: Redacted.Redacted<string> } & CallOptions,
  ): Out<FineTuningFilesShape["run"]>
  /**
   * Releases the runtime (and the RPC provider it created).
   *
   * @example
   * await ft.close()
   */
  close(): Promise<void>
}
