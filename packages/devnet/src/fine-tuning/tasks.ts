/**
 * The emulated broker's task store and workers (fine-tuning-protocol.md §6): one worker claims the oldest `Init`
 * task and walks it Init → SettingUp → SetUp → Training → Trained → Delivering → Delivered; a settlement watcher per
 * delivered task waits for the on-chain acknowledgement (→ UserAcknowledged → settleFees with the wrapped key →
 * Finished) or, after the acknowledgement timeout, settles with the penalty and an empty secret.
 *
 * Every transition emits a `state` event, so tests await `waitForState` instead of sleeping; the step delay
 * (0 in tests) only paces the walk. The `stall` fault freezes a task in a given state until it is cleared.
 */
import { EventEmitter } from "node:events"
import { join } from "node:path"
import { revertFromError } from "@0g-compute/contracts"
import { fineTuningFee, fineTuningFeeTerms } from "@0g-compute/core"
import { createTaskPreimage, recoverFineTuningSigner, toHex, wrapSecret } from "@0g-compute/crypto"
import { Effect, type Redacted, Result } from "effect"
import type { ProviderChain, SettlementOutcome } from "./chain.js"
import { deliverModel } from "./delivery.js"
import type { StorageAccess } from "./storage.js"
import {
  type FaultSwitches,
  PENDING_STATES,
  type ProgressState,
  type SchedulerConfig,
  type TaskRecord,
} from "./task-record.js"
import { countTokens, trainNgramModel } from "./trainer.js"

class StepFailed extends Error {}
class Stopped extends Error {}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()
const causeText = (e: unknown) => (e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e))

export class TaskEngine extends EventEmitter {
  readonly tasks = new Map<string, TaskRecord>()
  /** Uploaded datasets by `0x` + keccak256 (lower case). */
  readonly datasets = new Map<string, Uint8Array>()
  private faultState: FaultSwitches = {}
  private stopped = false
  private worker: Promise<void> = Promise.resolve()
  private wakeWorker: (() => void) | undefined
  private waiters: Array<() => void> = []

  constructor(
    private readonly chain: ProviderChain,
    private readonly teeKey: Redacted.Redacted<string>,
    readonly config: SchedulerConfig,
    private readonly storage?: StorageAccess,
  ) {
    super()
    this.setMaxListeners(0)
  }

  get faults(): FaultSwitches {
    return this.faultState
  }

  /** Replaces the fault switches and wakes every paused worker. */
  setFaults(faults: FaultSwitches) {
    this.faultState = { ...faults }
    this.wakeAll()
  }

  /** Changes timings at run time (e.g. shorten the acknowledgement timeout to force the penalty path). */
  configure(changes: Partial<SchedulerConfig>) {
    Object.assign(this.config, changes)
    this.wakeAll()
  }

  private wakeAll() {
    const ws = this.waiters
    this.waiters = []
    for (const w of ws) w()
  }

  /** Waits `ms` or until the next `setFaults`/`configure`, whichever comes first. */
  private pause(ms: number) {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  pendingCount() {
    let n = 0
    for (const t of this.tasks.values()) if (PENDING_STATES.includes(t.progress)) n++
    return n
  }

  userTasks(user: string) {
    return [...this.tasks.values()].filter((t) => same(t.userAddress, user))
  }

  add(task: TaskRecord) {
    this.tasks.set(task.id, task)
    this.note(task, "creating task....")
    this.emit("state", task)
    this.wakeWorker?.()
  }

  note(t: TaskRecord, message: string) {
    t.log.push(`[${new Date().toISOString().replace(/\.\d{3}Z$/, "Z")}] ${message}`)
  }

  private transition(t: TaskRecord, next: ProgressState) {
    t.progress = next
    t.updatedAt = new Date()
    t.history.push(next)
    this.note(t, `progress: ${next}`)
    this.emit("state", t)
  }

  fail(t: TaskRecord, reason: string) {
    if (t.progress === "Failed" || t.progress === "Finished") return
    this.note(t, `task failed: ${reason}`)
    this.transition(t, "Failed")
  }

  cancel(t: TaskRecord) {
    this.note(t, "cancelled by the user")
    this.transition(t, "Failed")
  }

  /** Resolves once task `id` has been in `state`; rejects if it fails first (unless waiting for Failed). */
  waitForState(id: string, state: ProgressState): Promise<TaskRecord> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const t = this.tasks.get(id)
        if (t === undefined) return false
        if (t.history.includes(state)) resolve(t)
        else if (t.progress === "Failed") reject(new Error(`task ${id} failed: ${t.log.at(-1) ?? ""}`))
        else return false
        return true
      }
      if (check()) return
      const on = () => {
        if (check()) this.off("state", on)
      }
      this.on("state", on)
    })
  }

  /** Resolves with the settlement of task `id` (acknowledged or penalty). */
  waitForSettlement(id: string): Promise<SettlementOutcome> {
    return this.waitForState(id, "Finished").then((t) => {
      if (t.settlement === undefined) throw new Error(`task ${id} finished without a settlement`)
      return t.settlement
    })
  }

  start() {
    this.worker = this.loop()
  }

  /** Stops the worker; resolves once the task it was walking has left its file work, so its directory can go. */
  stop(): Promise<void> {
    this.stopped = true
    this.wakeWorker?.()
    this.wakeAll()
    return this.worker
  }

  private async loop() {
    while (!this.stopped) {
      const next = [...this.tasks.values()]
        .filter((t) => t.progress === "Init")
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0]
      if (next === undefined) {
        await new Promise<void>((resolve) => {
          this.wakeWorker = resolve
        })
        this.wakeWorker = undefined
        continue
      }
      try {
        await this.walk(next)
      } catch (e) {
        if (e instanceof Stopped) return
        this.fail(next, causeText(e))
      }
    }
  }

  private stalledAt(t: TaskRecord) {
    const s = this.faultState.stall
    return s === true || s === t.progress
  }

  /** Paces one step, holds while stalled, and stops the walk if the task was cancelled meanwhile. */
  private async step(t: TaskRecord, next: ProgressState) {
    while (!this.stopped && this.stalledAt(t)) await this.pause(60_000)
    if (this.config.stepDelayMs > 0) await this.pause(this.config.stepDelayMs)
    else await new Promise((r) => setImmediate(r))
    if (this.stopped) throw new Stopped()
    if (t.progress === "Failed") throw new StepFailed("cancelled")
    this.transition(t, next)
  }

  private async walk(t: TaskRecord) {
    try {
      await this.step(t, "SettingUp")
      const dataset = await this.setup(t).catch((e: unknown) => {
        // The broker writes its setup error to the task's progress.log this way (HandleExecuteFailure).
        if (e instanceof StepFailed) this.note(t, `setup failed: ${e.message}`)
        throw e
      })
      await this.step(t, "SetUp")
      await this.step(t, "Training")
      t.zip = trainNgramModel(dataset, t.params, t.model.name).zip
      this.note(t, `trained a character trigram model (${t.zip.length} bytes zipped)`)
      await this.step(t, "Trained")
      await this.step(t, "Delivering")
      await this.finalize(t)
      await this.step(t, "Delivered")
      t.deliverTime = Math.floor(Date.now() / 1000)
      t.deliveredAtMs = Date.now()
      void this.settleWhenDue(t)
    } catch (e) {
      if (e instanceof Stopped) throw e
      if (!(e instanceof StepFailed && e.message === "cancelled")) this.fail(t, causeText(e))
    }
  }

  /** Setup (§4, §6): dataset, signature check and public-key recovery, fee, on-chain preconditions. */
  private async setup(t: TaskRecord): Promise<Uint8Array> {
    let dataset = this.datasets.get(t.datasetHash.toLowerCase())
    if (dataset === undefined && this.storage !== undefined) {
      dataset = await this.storage.fetch(t.datasetHash)
      if (dataset !== undefined) this.note(t, `dataset ${t.datasetHash} downloaded from 0G Storage`)
    }
    if (dataset === undefined) throw new StepFailed(`dataset ${t.datasetHash} not found`)
    const preimage = Result.getOrThrow(
      createTaskPreimage({ userAddress: t.userAddress, nonce: BigInt(t.nonce), datasetHash: t.datasetHash }),
    )
    const signer = recoverFineTuningSigner(preimage, t.signature)
    if (Result.isFailure(signer) || !same(signer.success.address, t.userAddress)) {
      throw new StepFailed("signature error: the create-task signature does not recover to userAddress")
    }
    t.publicKey = signer.success.publicKey
    const tokens = countTokens(dataset)
    const service = await this.chain.service()
    // The broker's Setup.verify: the per-model terms of its SCRIPT_MAP (shared table in core), checked before the
    // acknowledgements, with its own wording for a shortfall.
    const published = t.model.modelType === 1 ? this.config.publishedFeeTerms : undefined
    const terms = published ?? fineTuningFeeTerms(t.preTrainedModelHash)
    if (terms === undefined) throw new StepFailed("model configuration not found in SCRIPT_MAP")
    const fee = fineTuningFee(tokens, service.pricePerToken, t.params.num_train_epochs, terms)
    const account = await this.chain.account(t.userAddress).catch(() => {
      throw new StepFailed("no fine-tuning sub-account for this user")
    })
    const available = account.balance - account.pendingRefund
    if (available < fee) {
      throw new StepFailed(`insufficient account balance after pending refund: required ${fee}, available ${available}`)
    }
    if (BigInt(t.nonce) <= account.nonce) throw new StepFailed(`nonce ${t.nonce} is not above ${account.nonce}`)
    if (!account.acknowledged || !service.teeSignerAcknowledged) {
      throw new StepFailed("the TEE signer is not acknowledged (by the user or the owner)")
    }
    t.fee = fee
    this.note(t, `dataset ${t.datasetHash}: ${tokens} tokens, fee ${fee}`)
    return dataset
  }

  /** Finalizer (§7): encrypt, compute the root, `addDeliverable`. */
  private async finalize(t: TaskRecord) {
    const zip = t.zip
    if (zip === undefined) throw new StepFailed("no trained model")
    const delivered = await deliverModel(zip, join(this.config.dataDir, t.id), this.teeKey, {
      chunkSize: this.config.chunkSize,
      rootHash: this.config.rootHash,
      wrongTagSignature: this.faultState.wrongTagSignature === true,
      wrongRoot: this.faultState.wrongRoot === true,
      ...(this.storage === undefined
        ? {}
        : {
            publish: this.storage.publish,
            onPublishError: (e: unknown) =>
              this.note(t, `storage upload failed, keeping the local root: ${causeText(e)}`),
          }),
    })
    t.zip = undefined
    t.modelPath = delivered.path
    t.modelRootHash = delivered.modelRootHash
    t.aesKey = delivered.key
    await this.chain.addDeliverable(t.userAddress, t.id, delivered.modelRootHash).catch((e: unknown) => {
      const locked = revertFromError(e, "FineTuningServing")?.error === "PreviousDeliverableNotAcknowledged"
      throw new StepFailed(locked ? "previous deliverable not acknowledged" : `addDeliverable failed: ${causeText(e)}`)
    })
    this.note(t, `deliverable added: modelRootHash ${delivered.modelRootHash} (${delivered.fileLength} bytes)`)
  }

  /** Settlement (§9): the wrapped key after an acknowledgement, or the penalty after the timeout. */
  private async settleWhenDue(t: TaskRecord) {
    let failures = 0
    while (!this.stopped && (t.progress === "Delivered" || t.progress === "UserAcknowledged")) {
      try {
        if (!this.stalledAt(t) && (await this.trySettle(t))) return
      } catch (e) {
        this.note(t, `settlement attempt failed: ${causeText(e)}`)
        if (++failures >= 10) return this.fail(t, "settlement retries exhausted")
      }
      await this.pause(this.config.settlementPollMs)
    }
  }

  private async trySettle(t: TaskRecord): Promise<boolean> {
    const d = await this.chain.deliverable(t.userAddress, t.id)
    const root = t.modelRootHash ?? "0x"
    const base = { user: t.userAddress, id: t.id, modelRootHash: root, nonce: BigInt(t.nonce), taskFee: t.fee }
    if (d.acknowledged) {
      if (t.progress === "Delivered") this.transition(t, "UserAcknowledged")
      if (t.publicKey === undefined || t.aesKey === undefined) throw new Error("no key material for this task")
      const secret = await Effect.runPromise(wrapSecret(t.publicKey, t.aesKey))
      t.settlement = await this.chain.settle({ ...base, encryptedSecret: toHex(secret) })
      this.note(t, `settled: fee ${t.settlement.fee}, key released`)
    } else if (Date.now() - (t.deliveredAtMs ?? 0) >= this.config.ackTimeoutMs) {
      t.settlement = await this.chain.settle({ ...base, encryptedSecret: "0x" })
      this.note(t, `not acknowledged in time: settled with the penalty fee ${t.settlement.fee}; the key is withheld`)
    } else {
      return false
    }
    this.transition(t, "Finished")
    return true
  }
}
