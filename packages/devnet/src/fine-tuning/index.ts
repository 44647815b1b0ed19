/**
 * `startFineTuningProvider`: an emulated fine-tuning provider broker on 127.0.0.1 for a running devnet. It speaks the
 * provider protocol (fine-tuning-protocol.md §2–§9, §12), trains a small deterministic model on the uploaded dataset,
 * delivers it encrypted in the byte-exact file format, and settles on chain from the provider wallet with the TEE key.
 * On start it points the on-chain service URL at itself (`addOrUpdateService`, no stake on update).
 */

import { mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ContractAddresses, FineTuningFeeTerms } from "@0g-compute/core"
import { routeListener } from "@0g-compute/core/node"
import { MODEL_CHUNK_SIZE } from "@0g-compute/crypto"
import type { DevnetAccount } from "../accounts.js"
import { closeServer, listenLoopback } from "../loopback.js"
import { ProviderChain, type SettlementOutcome } from "./chain.js"
import type { RootHashKind } from "./delivery.js"
import { answerFailure } from "./http-util.js"
import { type RouteContext, route, tamperedCopy } from "./routes.js"
import { type ProviderStorageOptions, storageAccess } from "./storage.js"
import {
  type FaultSwitches,
  type ProgressState,
  type SchedulerConfig,
  type TaskRecord,
  taskJson,
} from "./task-record.js"
import { TaskEngine } from "./tasks.js"
import { EMULATED_MODELS } from "./validation.js"

export { quoteJson } from "./routes.js"
export { countTokens, datasetExamples, NGRAM_ORDER, type TrainingParams, trainNgramModel } from "./trainer.js"
export { EMULATED_MODELS, type EmulatedModel, parseTrainingParams } from "./validation.js"
export type { FaultSwitches, ProgressState, ProviderStorageOptions, RootHashKind, SettlementOutcome }

export interface FineTuningProviderOptions {
  readonly rpcUrl: string
  /** The devnet's contract addresses (only `fineTuning` is used). */
  readonly addresses: Pick<ContractAddresses, "fineTuning">
  /** The registered provider wallet (#3) and TEE signer (#4). */
  readonly accounts: { readonly fineTuningProvider: DevnetAccount; readonly fineTuningSigner: DevnetAccount }
  /** Loopback port; a free one when omitted. */
  readonly port?: number
  /** Delay before each state transition (default 200 ms; 0 in tests). */
  readonly stepDelayMs?: number
  /** How often a delivered task checks the chain for the acknowledgement (default 500 ms). */
  readonly settlementPollMs?: number
  /** Settle with the penalty when a delivery stays unacknowledged this long (default 10 min). */
  readonly ackTimeoutMs?: number
  /** Plaintext bytes per encrypted chunk (default 64 MiB, as real providers). */
  readonly chunkSize?: number
  /** `keccak` (no storage upload, the spec's devnet default) or `merkle` (as after a storage upload). */
  readonly rootHash?: RootHashKind
  /** `maxTaskQueueSize` (default 5). */
  readonly maxQueueSize?: number
  /** Told of every task transition (after it happened). */
  readonly onTaskState?: (task: EmulatedTask, model: string) => void
  /** Publish these fee terms beside every customized model in `/v1/model` and charge them (default: not published). */
  readonly publishFeeTerms?: FineTuningFeeTerms
  /** Where encrypted models are kept (default a fresh temp directory, removed on stop). */
  readonly dataDir?: string
  /** Re-register the on-chain service with this server's URL (default true). */
  readonly updateServiceUrl?: boolean
  readonly faults?: FaultSwitches
  /** 0G Storage (the storage devnet): datasets by root, and the model uploaded there (root = merkle root). */
  readonly storage?: ProviderStorageOptions
}

/** A read-only view of a task, including the server-side fields tests may inspect. */
export interface EmulatedTask {
  readonly json: ReturnType<typeof taskJson>
  readonly history: ReadonlyArray<ProgressState>
  readonly log: ReadonlyArray<string>
  readonly modelRootHash: string | undefined
  readonly modelPath: string | undefined
  readonly settlement: SettlementOutcome | undefined
}

export interface FineTuningProvider {
  readonly url: string
  readonly port: number
  /** Where deliverables are written; removed on `stop` unless the caller supplied it. */
  readonly dataDir: string
  /** The provider wallet address. */
  readonly address: string
  readonly teeSigner: string
  /** Models served by `/v1/model` and accepted by create. */
  readonly models: typeof EMULATED_MODELS
  readonly faults: () => FaultSwitches
  /** Replaces the fault switches (clearing `stall` resumes frozen tasks). */
  readonly setFaults: (faults: FaultSwitches) => void
  /** Changes timings at run time, e.g. `{ ackTimeoutMs: 0 }` to force the penalty on unacknowledged deliveries. */
  readonly configure: (
    changes: Partial<Pick<SchedulerConfig, "stepDelayMs" | "settlementPollMs" | "ackTimeoutMs">>,
  ) => void
  readonly task: (id: string) => EmulatedTask | undefined
  readonly tasks: () => ReadonlyArray<EmulatedTask>
  /** Resolves when the task has been in `state` (rejects if it fails first). */
  readonly waitForState: (taskId: string, state: ProgressState) => Promise<EmulatedTask>
  /** Resolves with the task's settlement (acknowledged with the key, or the penalty). */
  readonly waitForSettlement: (taskId: string) => Promise<SettlementOutcome>
  /** Resolves with the next task created after this call. */
  readonly nextTask: () => Promise<EmulatedTask>
  /** Closes the server and the workers; idempotent. */
  readonly stop: () => Promise<void>
}

const view = (t: TaskRecord): EmulatedTask => ({
  json: taskJson(t),
  history: [...t.history],
  log: [...t.log],
  modelRootHash: t.modelRootHash,
  modelPath: t.modelPath,
  settlement: t.settlement,
})

export const startFineTuningProvider = async (options: FineTuningProviderOptions): Promise<FineTuningProvider> => {
  const ownDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), "zg-ft-provider-")) : undefined
  const chain = new ProviderChain(
    options.rpcUrl,
    options.addresses.fineTuning,
    options.accounts.fineTuningProvider.privateKey,
    options.accounts.fineTuningSigner.privateKey,
  )
  const config: SchedulerConfig = {
    stepDelayMs: options.stepDelayMs ?? 200,
    settlementPollMs: options.settlementPollMs ?? 500,
    ackTimeoutMs: options.ackTimeoutMs ?? 10 * 60_000,
    chunkSize: options.chunkSize ?? MODEL_CHUNK_SIZE,
    rootHash: options.rootHash ?? "keccak",
    maxQueueSize: options.maxQueueSize ?? 5,
    publishedFeeTerms: options.publishFeeTerms,
    dataDir: options.dataDir ?? ownDir ?? tmpdir(),
  }
  const storage = options.storage === undefined ? undefined : storageAccess(options.storage, chain)
  const engine = new TaskEngine(chain, options.accounts.fineTuningSigner.privateKey, config, storage)
  const onTaskState = options.onTaskState
  if (onTaskState !== undefined) engine.on("state", (t: TaskRecord) => onTaskState(view(t), t.model.name))
  engine.setFaults(options.faults ?? {})
  const teeSigner = chain.tee.address

  const context: RouteContext = {
    engine,
    teeSigner,
    teeSignerAcknowledgedByUser: async (user) => {
      const [service, account] = await Promise.all([chain.service(), chain.account(user).catch(() => undefined)])
      return service.teeSignerAcknowledged && account?.acknowledged === true
    },
    servedFile: async (t) => {
      if (t.modelPath === undefined) throw new Error("no model file")
      return engine.faults.tamperFile === true ? tamperedCopy(t.modelPath) : t.modelPath
    },
  }
  const server = createServer(routeListener((req, res) => route(context, req, res), answerFailure))
  const cleanup = async () => {
    // The worker may be writing a deliverable into ownDir; removing the directory under it fails with ENOTEMPTY.
    await engine.stop()
    await storage?.close()
    chain.close()
    if (ownDir !== undefined) await rm(ownDir, { recursive: true, force: true })
  }
  try {
    const port = await listenLoopback(server, options.port)
    const url = `http://127.0.0.1:${port}`
    if (options.updateServiceUrl !== false) {
      await chain.updateService(
        url,
        EMULATED_MODELS.filter((m) => m.modelType === 1).map((m) => m.name),
      )
    }
    engine.start()

    let stopped: Promise<void> | undefined
    return {
      url,
      port,
      dataDir: config.dataDir,
      address: chain.wallet.address,
      teeSigner,
      models: EMULATED_MODELS,
      faults: () => engine.faults,
      setFaults: (f) => engine.setFaults(f),
      configure: (c) => engine.configure(c),
      task: (id) => {
        const t = engine.tasks.get(id)
        return t === undefined ? undefined : view(t)
      },
      tasks: () => [...engine.tasks.values()].map(view),
      waitForState: (id, state) => engine.waitForState(id, state).then(view),
      waitForSettlement: (id) => engine.waitForSettlement(id),
      nextTask: () =>
        new Promise((resolve) => {
          const known = new Set(engine.tasks.keys())
          const on = (t: TaskRecord) => {
            if (known.has(t.id)) return
            engine.off("state", on)
            resolve(view(t))
          }
          engine.on("state", on)
        }),
      stop: () => {
        stopped ??= closeServer(server).then(cleanup)
        return stopped
      },
    }
  } catch (e) {
    server.close()
    await cleanup()
    throw e
  }
}
