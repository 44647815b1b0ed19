/**
 * `createFineTuningClient`: the Promise face of the fine-tuning operations, for integrators who never touch Effect.
 * One runtime built from the layers (chain, wallet, transaction engine, ledger, fine-tuning); every method rejects
 * with the typed error itself (an `Error` carrying `_tag` and fields). No logic lives here.
 */
import { join } from "node:path"
import { type ConnectionStack, connectionStackLayer, type TxEngineOptions } from "@0g-compute/contracts"
import {
  type Chain,
  type ConnectionOptions,
  type FacadeRuntime,
  makeFacadeRuntime,
  Wallet,
  walletLayerFromOptions,
} from "@0g-compute/core"
import { Effect, Layer, Redacted, Stream } from "effect"
import {
  type AcknowledgeProviderOptions,
  acknowledgeProvider,
  type ProviderAttestationOptions,
  type QuoteAssessor,
  verifyProvider,
} from "../attestation.js"
import { acknowledgeWithoutDownload, getDeliverable, pendingDeliverables, waitForSecret } from "../deliverables.js"
import { PrivateKeyRequired } from "../errors.js"
import type { Task } from "../http.js"
import { getService, listModels, listServices } from "../providers.js"
import { FineTuning, type FineTuningOptions } from "../service.js"
import {
  type CreateTaskOptions,
  cancelTask,
  createTask,
  getTask,
  getTaskLog,
  listTasks,
  quoteTaskFee,
  type WatchOptions,
  waitForTask,
  watchTask,
} from "../tasks.js"
import { type UploadDatasetOptions, uploadDataset } from "./dataset.js"
import { acknowledgeModel, decryptModel, downloadModel, type ModelSource } from "./model.js"
import { type PipelineOptions, runPipeline } from "./pipeline.js"

/** A plain `signer` can do everything but decrypt; decryption needs `privateKey` (here or per call). */
export interface FineTuningClientOptions extends FineTuningOptions, ConnectionOptions {
  readonly tx?: TxEngineOptions
  /**
   * The attestation report `verifyProvider` / `acknowledgeProvider` run unless a call passes its own: inference's
   * `quoteAssessor()` (what `createBroker` passes). Without it, JSON-level checks only.
   */
  readonly assess?: QuoteAssessor
}

/** Per-call cancellation. */
export interface CallOptions {
  readonly signal?: AbortSignal
}

/** The fine-tuning service on an existing connection stack (shared with the other parts by `createBroker`). */
export const fineTuningLayerOn = <E>(stack: Layer.Layer<ConnectionStack, E>, options: FineTuningOptions = {}) =>
  Layer.provide(FineTuning.layer(options), stack)

const layerOf = (o: FineTuningClientOptions) => {
  const wallet: Layer.Layer<Wallet, unknown, Chain> =
    walletLayerFromOptions(o) ??
    Layer.effect(Wallet, Effect.fail(new PrivateKeyRequired({ operation: "the fine-tuning client" })))
  return fineTuningLayerOn(connectionStackLayer(o, wallet), o)
}

export type FineTuningClient = Awaited<ReturnType<typeof createFineTuningClient>>

/** Connects (checking the chain and key up front) and returns the client. */
export const createFineTuningClient = (options: FineTuningClientOptions) =>
  fineTuningClientOn(makeFacadeRuntime(layerOf(options)), options)

/**
 * The client over an existing runtime (e.g. a broker's shared connection); disposes it when connecting fails.
 * `options` supplies only the client-side settings (`assess`, `privateKey`).
 */
export const fineTuningClientOn = async (
  runtime: FacadeRuntime<FineTuning>,
  options: Pick<FineTuningClientOptions, "assess" | "privateKey"> = {},
) => {
  const run = <A, E>(effect: Effect.Effect<A, E, FineTuning>, call: CallOptions = {}): Promise<A> =>
    runtime.run(effect, call)
  const withAssess = <O extends { assess?: QuoteAssessor }>(o: O): O =>
    options.assess === undefined || o.assess !== undefined ? o : { ...o, assess: options.assess }
  const key = typeof options.privateKey === "string" ? Redacted.make(options.privateKey) : options.privateKey
  const keyFor = (operation: string, given?: Redacted.Redacted<string>) => {
    const k = given ?? key
    return k === undefined ? Effect.fail(new PrivateKeyRequired({ operation })) : Effect.succeed(k)
  }
  try {
    const address = await run(
      Effect.gen(function* () {
        return (yield* FineTuning).wallet.address
      }),
    )
    return {
      address,
      listServices: (o: { includeUnvetted?: boolean } = {}) => run(listServices(o)),
      getService: (provider: string) => run(getService(provider)),
      listModels: (provider?: string) => run(listModels(provider)),
      /** The quote's attestation report (inference's with `assess`); refusals are reported, not thrown. */
      verifyProvider: (provider: string, o: ProviderAttestationOptions = {}) =>
        run(verifyProvider(provider, withAssess(o))),
      /** Refused on a failed attestation unless opted in (`allowDevnet` on the devnet, `allowUnverified`). */
      acknowledgeProvider: (provider: string, o: AcknowledgeProviderOptions = {}) =>
        run(acknowledgeProvider(provider, withAssess(o))),
      /** To 0G Storage when configured (datasetHash = root), else through the provider route. */
      uploadDataset: (provider: string, path: string, o: UploadDatasetOptions = {}) =>
        run(uploadDataset(provider, path, o)),
      createTask: (o: CreateTaskOptions) => run(createTask(o)),
      /** The fee `createTask` would fund (the broker's formula), without funding or creating anything. */
      quoteTaskFee: (o: Parameters<typeof quoteTaskFee>[0]) => run(quoteTaskFee(o)),
      listTasks: (provider: string) => run(listTasks(provider)),
      getTask: (provider: string, taskId: string) => run(getTask(provider, taskId)),
      getLog: (provider: string, taskId: string) => run(getTaskLog(provider, taskId)),
      cancelTask: (provider: string, taskId: string) => run(cancelTask(provider, taskId)),
      /** Waits until `until` (default Delivered), calling `onProgress` on each change; the CLI's progress bar. */
      watch: (
        provider: string,
        taskId: string,
        o: WatchOptions & { onProgress?: (task: Task) => void } & CallOptions = {},
      ) => run(waitForTask(provider, taskId, o), o),
      /** The same progress as an async iterable. */
      watchIterable: (provider: string, taskId: string, o: WatchOptions = {}): Promise<AsyncIterable<Task>> =>
        run(Stream.toAsyncIterableEffect(watchTask(provider, taskId, o))),
      getDeliverable: (provider: string, taskId: string) =>
        run(Effect.map(getDeliverable(provider, taskId), (d) => d.view)),
      pendingDeliverables: () => run(pendingDeliverables),
      downloadModel: (provider: string, taskId: string, outPath: string) =>
        run(downloadModel(provider, taskId, outPath)),
      /** Download → verify root and TEE signature → acknowledge on chain. */
      acknowledgeModel: (provider: string, taskId: string, o: { output?: string; source?: ModelSource } = {}) =>
        run(acknowledgeModel(provider, taskId, o.output ?? join(process.cwd(), `${taskId}.model.enc`), o.source)),
      /** Acknowledge WITHOUT verifying (unlocks the queue before the penalty deadline). */
      acknowledgeWithoutDownload: (provider: string, taskId: string) =>
        run(acknowledgeWithoutDownload(provider, taskId)),
      waitForSecret: (provider: string, taskId: string, call: CallOptions = {}) =>
        run(Effect.asVoid(waitForSecret(provider, taskId)), call),
      decryptModel: (
        provider: string,
        taskId: string,
        o: { output: string; encryptedPath?: string; privateKey?: Redacted.Redacted<string> },
      ) =>
        run(
          Effect.flatMap(keyFor("decryptModel", o.privateKey), (privateKey) =>
            decryptModel(provider, taskId, {
              outputPath: o.output,
              privateKey,
              ...(o.encryptedPath === undefined ? {} : { encryptedPath: o.encryptedPath }),
            }),
          ),
        ),
      /** The resumable pipeline; rerun with the same state file to continue. */
      run: (o: Omit<PipelineOptions, "privateKey"> & { privateKey?: Redacted.Redacted<string> } & CallOptions) =>
        run(
          Effect.flatMap(keyFor("run", o.privateKey), (privateKey) => runPipeline({ ...o, privateKey })),
          o,
        ),
      close: () => runtime.dispose(),
    }
  } catch (e) {
    await runtime.dispose()
    throw e
  }
}
