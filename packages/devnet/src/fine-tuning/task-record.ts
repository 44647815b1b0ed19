/**
 * The emulated broker's task record (fine-tuning-protocol.md §3.2): its fields, the JSON the routes serve, the
 * progress states that count as pending or cancellable, and the switches and settings the task engine runs under.
 */
import type { FineTuningFeeTerms, FineTuningProgress } from "@0g-compute/core"
import type { Redacted } from "effect"
import type { SettlementOutcome } from "./chain.js"
import type { RootHashKind } from "./delivery.js"
import type { TrainingParams } from "./trainer.js"
import type { EmulatedModel } from "./validation.js"

export type ProgressState = FineTuningProgress

/** States counted by `GET /v1/task/pending` and blocking `wait: false` creations. */
export const PENDING_STATES: ReadonlyArray<ProgressState> = ["Init", "SettingUp", "SetUp", "Training"]
export const CANCELLABLE_STATES: ReadonlyArray<ProgressState> = ["Init", "SettingUp", "SetUp"]

export interface FaultSwitches {
  /** Serve the model file with one byte of its last GCM tag flipped (the root on chain stays the genuine one). */
  readonly tamperFile?: boolean
  /** Sign the model file's tags with a key other than the registered TEE signer. */
  readonly wrongTagSignature?: boolean
  /** Record a root on chain that is not the delivered file's. */
  readonly wrongRoot?: boolean
  /** Serve a quote whose report_data names another signer than the registered TEE signer. */
  readonly wrongQuoteSigner?: boolean
  /** Freeze tasks in this state (true: in whatever state they are) until cleared. */
  readonly stall?: ProgressState | boolean
}

export interface SchedulerConfig {
  stepDelayMs: number
  settlementPollMs: number
  ackTimeoutMs: number
  chunkSize: number
  rootHash: RootHashKind
  maxQueueSize: number
  dataDir: string
  /** Terms published beside every customized model in `/v1/model` and charged for them (a broker that publishes). */
  publishedFeeTerms?: FineTuningFeeTerms | undefined
}

export interface TaskRecord {
  readonly id: string
  readonly createdAt: Date
  updatedAt: Date
  readonly userAddress: string
  readonly preTrainedModelHash: string
  readonly datasetHash: string
  readonly trainingParams: string
  fee: bigint
  readonly nonce: string
  readonly signature: string
  progress: ProgressState
  deliverTime: number
  readonly modelType: 0 | 1
  readonly wait: boolean
  // Server-side only (never in the JSON): §3.2.
  readonly model: EmulatedModel
  readonly params: TrainingParams
  readonly history: Array<ProgressState>
  readonly log: Array<string>
  publicKey?: string
  zip?: Uint8Array | undefined
  modelPath?: string
  modelRootHash?: string
  aesKey?: Redacted.Redacted<Uint8Array>
  deliveredAtMs?: number
  settlement?: SettlementOutcome
}

/** The Task JSON of §3.2. */
export const taskJson = (t: TaskRecord) => ({
  id: t.id,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
  userAddress: t.userAddress,
  preTrainedModelHash: t.preTrainedModelHash,
  datasetHash: t.datasetHash,
  trainingParams: t.trainingParams,
  fee: t.fee.toString(),
  nonce: t.nonce,
  signature: t.signature,
  progress: t.progress,
  deliverIndex: 0,
  deliverTime: t.deliverTime,
  modelType: t.modelType,
  wait: t.wait,
})
