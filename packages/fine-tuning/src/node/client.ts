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
import type { CreateTaskOptions } from "../task-create.js"
import type { WatchOptions } from "../tasks.js"
import type { CallOptions, FineTuningClient } from "./client-api.js"
import type { UploadDatasetOptions } from "./dataset.js"
import { FineTuningFiles } from "./files.js"
import type { ModelOutput } from "./model.js"
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

export type { CallOptions, FineTuningClient } from "./client-api.js"

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

/**
 * Connects (checking the chain and key up front) and returns the client.
 *
 * @example
 * const ft = await createFineTuningClient({ privateKey, rpcUrl, network: "devnet" })
 */
export const createFineTuningClient = (options: FineTuningClientOptions): Promise<FineTuningClient> =>
  fineTuningClientOn(makeFacadeRuntime(layerOf(options)), options)

/**
 * The client over an existing runtime (e.g. a broker's shared connection); disposes it when connecting fails.
 * `options` supplies only the client-side settings (`assess`, `privateKey`).
 */
export const fineTuningClientOn = async (
  runtime: FacadeRuntime<FineTuningServices | Wallet>,
  options: Pick<FineTuningClientOptions, "assess" | "privateKey"> = {},
): Promise<FineTuningClient> => {
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
      address,
      listServices: (o: { includeUnvetted?: boolean } = {}) => providers((p) => p.list(o)),
      getService: (provider: string) => providers((p) => p.get(provider)),
      listModels: (provider?: string) => providers((p) => p.models(provider)),
      verifyProvider: (provider: string, o: ProviderAttestationOptions = {}) =>
        providers((p) => p.verify(provider, withAssess(o))),
      acknowledgeProvider: (provider: string, o: AcknowledgeProviderOptions = {}) =>
        providers((p) => p.acknowledge(provider, withAssess(o))),
      uploadDataset: (provider: string, path: string, o: UploadDatasetOptions = {}) =>
        files((f) => f.uploadDataset(provider, path, o)),
      createTask: (o: CreateTaskOptions) => tasks((t) => t.create(o)),
      quoteTaskFee: (o: Parameters<FineTuningTasks["Service"]["quoteFee"]>[0]) => tasks((t) => t.quoteFee(o)),
      listTasks: (provider: string) => tasks((t) => t.list(provider)),
      getTask: (provider: string, taskId: string) => tasks((t) => t.get(provider, taskId)),
      getLog: (provider: string, taskId: string) => tasks((t) => t.log(provider, taskId)),
      cancelTask: (provider: string, taskId: string) => tasks((t) => t.cancel(provider, taskId)),
      watch: (
        provider: string,
        taskId: string,
        o: WatchOptions & { onProgress?: (task: Task) => void } & CallOptions = {},
      ) => tasks((t) => t.wait(provider, taskId, o), o),
      watchIterable: (provider: string, taskId: string, o: WatchOptions = {}): Promise<AsyncIterable<Task>> =>
        tasks((t) => Stream.toAsyncIterableEffect(t.watch(provider, taskId, o))),
      getDeliverable: (provider: string, taskId: string) => deliverables((d) => d.get(provider, taskId)),
      pendingDeliverables: () => deliverables((d) => d.pending()),
      downloadModel: (provider: string, taskId: string, outPath: string, o: { overwrite?: boolean } = {}) =>
        files((f) => f.downloadModel(provider, taskId, outPath, o)),
      acknowledgeModel: (provider: string, taskId: string, o: ModelOutput & { output?: string } = {}) =>
        files((f) => f.acknowledgeModel(provider, taskId, o.output ?? join(process.cwd(), `${taskId}.model.enc`), o)),
      acknowledgeWithoutDownload: (provider: string, taskId: string) =>
        deliverables((d) => d.acknowledgeWithoutDownload(provider, taskId)),
      waitForSecret: (provider: string, taskId: string, call: CallOptions = {}) =>
        deliverables((d) => Effect.asVoid(d.waitForSecret(provider, taskId)), call),
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
      run: (o: Omit<PipelineOptions, "privateKey"> & { privateKey?: Redacted.Redacted<string> } & CallOptions) =>
        files((f) => Effect.flatMap(keyFor("run", o.privateKey), (privateKey) => f.run({ ...o, privateKey })), o),
      close: () => runtime.dispose(),
    }
  } catch (e) {
    await runtime.dispose()
    throw e
  }
}
