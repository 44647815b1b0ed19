/**
 * The fine-tuning capabilities as Effect services whose methods are the operations: `FineTuningProviders` (discovery,
 * models, attestation and acknowledgement), `FineTuningTasks` (datasets by bytes, fees, tasks and their progress) and
 * `FineTuningDeliverables` (deliverables on chain, the acknowledge-without-download escape hatch, the released key).
 * Each layer needs the connection stack (`Chain`, `Wallet`, `TxEngine`, `Ledger`) and reads `FineTuningConfig`; the
 * methods need nothing more. Files (datasets by path, model download, verification, decryption) are node's
 * `FineTuningFiles`.
 */
import { Context, Effect, Layer } from "effect"
import { acknowledgeProvider, verifyProvider } from "./attestation.js"
import { captureDeps } from "./chain.js"
import { acknowledgeWithoutDownload, getDeliverable, pendingDeliverables, waitForSecret } from "./deliverables.js"
import { fundSubAccount, getService, listModels, listServices } from "./providers.js"
import { createTask, quoteTaskFee, uploadDatasetBytes } from "./task-create.js"
import { cancelTask, getTask, getTaskLog, listTasks, waitForTask, watchTask } from "./tasks.js"

type Runner = Effect.Success<typeof captureDeps>

const makeProviders = ({ run }: Runner) => ({
  /** Registered services; unvetted ones (the owner has not acknowledged the TEE signer) only on request. */
  list: (options?: Parameters<typeof listServices>[0]) => run(listServices(options)),
  get: (provider: string) => run(getService(provider)),
  /** Predefined models, plus the provider's own when a provider is given. */
  models: (provider?: string) => run(listModels(provider)),
  /** The quote's attestation report; refusals are in the report, not failures. */
  verify: (...args: Parameters<typeof verifyProvider>) => run(verifyProvider(...args)),
  /** Verifies the quote, then acknowledges the TEE signer on chain (funding a new sub-account). */
  acknowledge: (...args: Parameters<typeof acknowledgeProvider>) => run(acknowledgeProvider(...args)),
  /** Moves neuron from the ledger into the provider's sub-account. */
  fund: (provider: string, amount: bigint) => run(fundSubAccount(provider, amount)),
})

const makeTasks = ({ run, runStream }: Runner) => ({
  /** Uploads dataset bytes through the provider's route (the reply's hash is checked). */
  uploadDataset: (...args: Parameters<typeof uploadDatasetBytes>) => run(uploadDatasetBytes(...args)),
  /** Validates, funds the sub-account for the fee, signs and submits. Never prompts. */
  create: (options: Parameters<typeof createTask>[0]) => run(createTask(options)),
  /** The fee `create` would fund, without funding, signing or creating anything. */
  quoteFee: (options: Parameters<typeof quoteTaskFee>[0]) => run(quoteTaskFee(options)),
  list: (provider: string) => run(listTasks(provider)),
  get: (provider: string, taskId: string) => run(getTask(provider, taskId)),
  /** The task's `progress.log` text. */
  log: (provider: string, taskId: string) => run(getTaskLog(provider, taskId)),
  /** Cancels a task still in Init, SettingUp or SetUp. */
  cancel: (provider: string, taskId: string) => run(cancelTask(provider, taskId)),
  /** Each progress change, polled with backoff; a Failed task fails the stream. */
  watch: (...args: Parameters<typeof watchTask>) => runStream(watchTask(...args)),
  /** `watch` to its end with `onProgress` per change; the last task seen. */
  wait: (...args: Parameters<typeof waitForTask>) => run(waitForTask(...args)),
})

const makeDeliverables = ({ run }: Runner) => ({
  /** The task's deliverable; `DeliverableNotFound` before delivery. */
  get: (provider: string, taskId: string) => run(Effect.map(getDeliverable(provider, taskId), (d) => d.view)),
  /** Unacknowledged (and penalty-settled) deliverables with every funded provider, oldest first, graded by deadline. */
  pending: () => run(pendingDeliverables),
  /** Acknowledges WITHOUT downloading or verifying: unlocks the queue before the penalty deadline. */
  acknowledgeWithoutDownload: (provider: string, taskId: string) => run(acknowledgeWithoutDownload(provider, taskId)),
  /** Polls until the wrapped key is published; returns it. */
  waitForSecret: (provider: string, taskId: string) => run(waitForSecret(provider, taskId)),
})

export type FineTuningProvidersShape = ReturnType<typeof makeProviders>
export type FineTuningTasksShape = ReturnType<typeof makeTasks>
export type FineTuningDeliverablesShape = ReturnType<typeof makeDeliverables>

export class FineTuningProviders extends Context.Service<FineTuningProviders, FineTuningProvidersShape>()(
  "zg/fine-tuning/Providers",
) {
  /** Needs the connection stack. */
  static readonly layer = Layer.effect(FineTuningProviders, Effect.map(captureDeps, makeProviders))
}

export class FineTuningTasks extends Context.Service<FineTuningTasks, FineTuningTasksShape>()("zg/fine-tuning/Tasks") {
  /** Needs the connection stack. */
  static readonly layer = Layer.effect(FineTuningTasks, Effect.map(captureDeps, makeTasks))
}

export class FineTuningDeliverables extends Context.Service<FineTuningDeliverables, FineTuningDeliverablesShape>()(
  "zg/fine-tuning/Deliverables",
) {
  /** Needs the connection stack. */
  static readonly layer = Layer.effect(FineTuningDeliverables, Effect.map(captureDeps, makeDeliverables))
}

/** The browser-safe fine-tuning services (internal: `fineTuningLayerOn` provides them); need the stack, read the config. */
export const browserServices = Layer.mergeAll(
  FineTuningProviders.layer,
  FineTuningTasks.layer,
  FineTuningDeliverables.layer,
)
