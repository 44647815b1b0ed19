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
import type { AcknowledgeProviderOptions, ProviderAttestationOptions, QuoteAssessor } from "../attestation.js"
import { type FineTuningOptions, fineTuningConfigLayer } from "../config.js"
import { PrivateKeyRequired } from "../errors.js"
import type { Task } from "../http.js"
import { browserServices, FineTuningDeliverables, FineTuningProviders, FineTuningTasks } from "../services.js"
import type { CreateTaskOptions, WatchOptions } from "../tasks.js"
import type { UploadDatasetOptions } from "./dataset.js"
import { FineTuningFiles } from "./files.js"
import type { ModelSource } from "./model.js"
import type { PipelineOptions } from "./pipeline.js"

/** Every fine-tuning service: the browser-safe three and node's files. */
export type FineTuningServices = FineTuningProviders | FineTuningTasks | FineTuningDeliverables | FineTuningFiles

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

/**
 * Every fine-tuning service on an existing connection stack (shared with the other parts by `createBroker`), with
 * `options` as its `FineTuningConfig`; the stack's services are provided too.
 */
export const fineTuningLayerOn = <E, R = never>(
  stack: Layer.Layer<ConnectionStack, E, R>,
  options: FineTuningOptions = {},
): Layer.Layer<FineTuningServices | ConnectionStack, E, R> =>
  Layer.mergeAll(browserServices, FineTuningFiles.layer).pipe(
    Layer.provide(fineTuningConfigLayer(options)),
    Layer.provideMerge(stack),
  )

const layerOf = (o: FineTuningClientOptions) => {
  const wallet: Layer.Layer<Wallet, unknown, Chain> =
    walletLayerFromOptions(o) ??
    Layer.effect(Wallet, Effect.fail(new PrivateKeyRequired({ operation: "the fine-tuning client" })))
  return fineTuningLayerOn(connectionStackLayer(o, wallet), o)
}

export type FineTuningClient = Awaited<ReturnType<typeof createFineTuningClient>>

/**
 * Connects (checking the chain and key up front) and returns the client.
 *
 * @example
 * const ft = await createFineTuningClient({ privateKey, rpcUrl, network: "devnet" })
 */
export const createFineTuningClient = (options: FineTuningClientOptions) =>
  fineTuningClientOn(makeFacadeRuntime(layerOf(options)), options)

/**
 * The client over an existing runtime (e.g. a broker's shared connection); disposes it when connecting fails.
 * `options` supplies only the client-side settings (`assess`, `privateKey`).
 */
export const fineTuningClientOn = async (
  runtime: FacadeRuntime<FineTuningServices | Wallet>,
  options: Pick<FineTuningClientOptions, "assess" | "privateKey"> = {},
) => {
  const run = <A, E>(effect: Effect.Effect<A, E, FineTuningServices | Wallet>, call: CallOptions = {}): Promise<A> =>
    runtime.run(effect, call)
  const providers = <A, E>(f: (s: FineTuningProviders["Service"]) => Effect.Effect<A, E>) =>
    run(FineTuningProviders.use(f))
  const tasks = <A, E>(f: (s: FineTuningTasks["Service"]) => Effect.Effect<A, E>, call: CallOptions = {}) =>
    run(FineTuningTasks.use(f), call)
  const deliverables = <A, E>(f: (s: FineTuningDeliverables["Service"]) => Effect.Effect<A, E>, call?: CallOptions) =>
    run(FineTuningDeliverables.use(f), call)
  const files = <A, E>(f: (s: FineTuningFiles["Service"]) => Effect.Effect<A, E>, call: CallOptions = {}) =>
    run(FineTuningFiles.use(f), call)
  const withAssess = <O extends { assess?: QuoteAssessor }>(o: O): O =>
    options.assess === undefined || o.assess !== undefined ? o : { ...o, assess: options.assess }
  const key = typeof options.privateKey === "string" ? Redacted.make(options.privateKey) : options.privateKey
  const keyFor = (operation: string, given?: Redacted.Redacted<string>) => {
    const k = given ?? key
    return k === undefined ? Effect.fail(new PrivateKeyRequired({ operation })) : Effect.succeed(k)
  }
  try {
    const address = await run(Wallet.use((w) => Effect.succeed(w.address)))
    return {
      /**
       * The wallet address (EIP-55).
       *
       * @example
       * console.log(ft.address)
       */
      address,
      /**
       * The registered fine-tuning providers.
       *
       * @example
       * const [service] = await ft.listServices()
       */
      listServices: (o: { includeUnvetted?: boolean } = {}) => providers((p) => p.list(o)),
      /**
       * One provider's service; rejects when it is not registered.
       *
       * @example
       * const service = await ft.getService(provider)
       */
      getService: (provider: string) => providers((p) => p.get(provider)),
      /**
       * Models to train: the predefined ones and, with `provider`, the provider's own.
       *
       * @example
       * const [model] = await ft.listModels(provider)
       */
      listModels: (provider?: string) => providers((p) => p.models(provider)),
      /**
       * The quote's attestation report (inference's with `assess`); refusals are reported, not thrown.
       *
       * @example
       * const report = await ft.verifyProvider(provider)
       */
      verifyProvider: (provider: string, o: ProviderAttestationOptions = {}) =>
        providers((p) => p.verify(provider, withAssess(o))),
      /**
       * Refused on a failed attestation unless opted in (`allowDevnet` on the devnet, `allowUnverified`).
       *
       * @example
       * await ft.acknowledgeProvider(provider, { allowDevnet: true })
       */
      acknowledgeProvider: (provider: string, o: AcknowledgeProviderOptions = {}) =>
        providers((p) => p.acknowledge(provider, withAssess(o))),
      /**
       * To 0G Storage when configured (datasetHash = root), else through the provider route.
       *
       * @example
       * const { datasetHash, tokens } = await ft.uploadDataset(provider, "data.jsonl")
       */
      uploadDataset: (provider: string, path: string, o: UploadDatasetOptions = {}) =>
        files((f) => f.uploadDataset(provider, path, o)),
      /**
       * Funds the sub-account for the fee and creates the task.
       *
       * @example
       * const { taskId } = await ft.createTask({ provider, model: model.name, datasetHash, trainingParams, tokens })
       */
      createTask: (o: CreateTaskOptions) => tasks((t) => t.create(o)),
      /**
       * The fee `createTask` would fund (the broker's formula), without funding or creating anything.
       *
       * @example
       * const fee = await ft.quoteTaskFee({ provider, model: model.name, datasetHash, trainingParams, tokens })
       */
      quoteTaskFee: (o: Parameters<FineTuningTasks["Service"]["quoteFee"]>[0]) => tasks((t) => t.quoteFee(o)),
      /**
       * This wallet's tasks at `provider`.
       *
       * @example
       * const tasks = await ft.listTasks(provider)
       */
      listTasks: (provider: string) => tasks((t) => t.list(provider)),
      /**
       * One task with its progress.
       *
       * @example
       * const { progress } = await ft.getTask(provider, taskId)
       */
      getTask: (provider: string, taskId: string) => tasks((t) => t.get(provider, taskId)),
      /**
       * The training log so far.
       *
       * @example
       * console.log(await ft.getLog(provider, taskId))
       */
      getLog: (provider: string, taskId: string) => tasks((t) => t.log(provider, taskId)),
      /**
       * Cancels a task that has not finished.
       *
       * @example
       * await ft.cancelTask(provider, taskId)
       */
      cancelTask: (provider: string, taskId: string) => tasks((t) => t.cancel(provider, taskId)),
      /**
       * Waits until `until` (default Delivered), calling `onProgress` on each change; the CLI's progress bar.
       *
       * @example
       * await ft.watch(provider, taskId, { onProgress: (t) => console.log(t.progress) })
       */
      watch: (
        provider: string,
        taskId: string,
        o: WatchOptions & { onProgress?: (task: Task) => void } & CallOptions = {},
      ) => tasks((t) => t.wait(provider, taskId, o), o),
      /**
       * The same progress as an async iterable.
       *
       * @example
       * for await (const task of await ft.watchIterable(provider, taskId)) console.log(task.progress)
       */
      watchIterable: (provider: string, taskId: string, o: WatchOptions = {}): Promise<AsyncIterable<Task>> =>
        tasks((t) => Stream.toAsyncIterableEffect(t.watch(provider, taskId, o))),
      /**
       * The delivered model's record on chain (root hash, acknowledged, secret released).
       *
       * @example
       * const { modelRootHash } = await ft.getDeliverable(provider, taskId)
       */
      getDeliverable: (provider: string, taskId: string) => deliverables((d) => d.get(provider, taskId)),
      /**
       * Deliverables waiting for this wallet's acknowledgement.
       *
       * @example
       * const pending = await ft.pendingDeliverables()
       */
      pendingDeliverables: () => deliverables((d) => d.pending()),
      /**
       * Downloads the encrypted model (no verification, no acknowledgement).
       *
       * @example
       * await ft.downloadModel(provider, taskId, "model.enc")
       */
      downloadModel: (provider: string, taskId: string, outPath: string) =>
        files((f) => f.downloadModel(provider, taskId, outPath)),
      /**
       * Download → verify root and TEE signature → acknowledge on chain.
       *
       * @example
       * await ft.acknowledgeModel(provider, taskId, { output: "model.enc" })
       */
      acknowledgeModel: (provider: string, taskId: string, o: { output?: string; source?: ModelSource } = {}) =>
        files((f) =>
          f.acknowledgeModel(provider, taskId, o.output ?? join(process.cwd(), `${taskId}.model.enc`), o.source),
        ),
      /**
       * Acknowledge WITHOUT verifying (unlocks the queue before the penalty deadline).
       *
       * @example
       * await ft.acknowledgeWithoutDownload(provider, taskId)
       */
      acknowledgeWithoutDownload: (provider: string, taskId: string) =>
        deliverables((d) => d.acknowledgeWithoutDownload(provider, taskId)),
      /**
       * Waits until the provider has released the model's key on chain.
       *
       * @example
       * await ft.waitForSecret(provider, taskId)
       */
      waitForSecret: (provider: string, taskId: string, call: CallOptions = {}) =>
        deliverables((d) => Effect.asVoid(d.waitForSecret(provider, taskId)), call),
      /**
       * Decrypts the acknowledged model with the wallet's key.
       *
       * @example
       * await ft.decryptModel(provider, taskId, { encryptedPath: "model.enc", output: "model.zip" })
       */
      decryptModel: (
        provider: string,
        taskId: string,
        o: { output: string; encryptedPath?: string; privateKey?: Redacted.Redacted<string> },
      ) =>
        files((f) =>
          Effect.flatMap(keyFor("decryptModel", o.privateKey), (privateKey) =>
            f.decryptModel(provider, taskId, {
              outputPath: o.output,
              privateKey,
              ...(o.encryptedPath === undefined ? {} : { encryptedPath: o.encryptedPath }),
            }),
          ),
        ),
      /**
       * The resumable pipeline; rerun with the same state file to continue.
       *
       * @example
       * await ft.run({ provider, datasetPath, model, trainingParams, outputDir })
       */
      run: (o: Omit<PipelineOptions, "privateKey"> & { privateKey?: Redacted.Redacted<string> } & CallOptions) =>
        files((f) => Effect.flatMap(keyFor("run", o.privateKey), (privateKey) => f.run({ ...o, privateKey })), o),
      /**
       * Releases the runtime (and the RPC provider it created).
       *
       * @example
       * await ft.close()
       */
      close: () => runtime.dispose(),
    }
  } catch (e) {
    await runtime.dispose()
    throw e
  }
}
