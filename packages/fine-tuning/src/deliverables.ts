/**
 * Deliverables on chain (fine-tuning-protocol.md §9, contracts.md §12): their state, the pending ones with their age
 * and a warning level before the provider's penalty deadline, the explicit acknowledge-without-download escape hatch
 * for a locked queue, and waiting for the released key.
 */

import { Ledger } from "@0g-compute/contracts"
import { Effect, Option, Schedule } from "effect"
import {
  chainNow,
  contractParams,
  type DeliverableRecord,
  getAccountRecord,
  getDeliverableRecord,
  sendServing,
} from "./chain.js"
import { FineTuningConfig } from "./config.js"
import { DeliverableNotFound, DeliverablePenalized, SecretNotReleased } from "./errors.js"

export interface DeliverableView {
  readonly provider: string
  readonly taskId: string
  readonly modelRootHash: string
  readonly acknowledged: boolean
  readonly settled: boolean
  /** Settled without acknowledgement: the key is withheld forever and the pair is locked. */
  readonly penalized: boolean
  /** The wrapped key has been published (after settlement of an acknowledged deliverable). */
  readonly secretReleased: boolean
  /** Chain seconds of `addDeliverable`. */
  readonly deliveredAt: bigint
}

export const toView = (provider: string, d: DeliverableRecord): DeliverableView => ({
  provider,
  taskId: d.id,
  modelRootHash: d.modelRootHash,
  acknowledged: d.acknowledged,
  settled: d.settled,
  penalized: d.settled && !d.acknowledged,
  secretReleased: d.encryptedSecret !== "0x",
  deliveredAt: d.timestamp,
})

/** The task's deliverable; `DeliverableNotFound` before delivery. */
export const getDeliverable = (provider: string, taskId: string) =>
  Effect.flatMap(getDeliverableRecord(provider, taskId), (d) =>
    Option.isSome(d)
      ? Effect.succeed({ record: d.value, view: toView(provider, d.value) })
      : Effect.fail(new DeliverableNotFound({ provider, taskId })),
  )

/** ok → warn (half the window used) → urgent (< 25 % or < 30 min left) → overdue (past the assumed deadline). */
export type DeadlineLevel = "ok" | "warn" | "urgent" | "overdue" | "penalized"

export interface PendingDeliverable extends DeliverableView {
  /** Seconds since delivery, by the chain's clock. */
  readonly ageSeconds: bigint
  /** deliveredAt + min(assumed provider timeout, lockTime / 2): when the provider may settle with the penalty. */
  readonly deadline: bigint
  readonly remainingSeconds: bigint
  readonly level: DeadlineLevel
  /** What the penalty would cost: taskFee × penaltyPercentage / 100 (the fee itself is the provider's). */
  readonly penaltyPercentage: bigint
}

export const deadlineLevel = (remaining: bigint, window: bigint): DeadlineLevel => {
  if (remaining <= 0n) return "overdue"
  if (remaining * 4n < window || remaining < 1800n) return "urgent"
  if (remaining * 2n < window) return "warn"
  return "ok"
}

/**
 * Unacknowledged deliverables with every fine-tuning provider the user funded (and penalty-settled ones, which lock
 * the pair), oldest first. The CLI warns from `level`.
 */
export const pendingDeliverables = Effect.gen(function* () {
  const ledger = yield* Ledger
  const config = yield* FineTuningConfig
  const subs = yield* ledger.listSubAccounts("fine-tuning")
  const [now, params] = yield* Effect.all([chainNow, contractParams], { concurrency: 2 })
  const assumed = BigInt(config.assumedAckTimeoutSeconds)
  const window = params.lockTime / 2n < assumed ? params.lockTime / 2n : assumed
  const out: Array<PendingDeliverable> = []
  for (const sub of subs) {
    const account = yield* getAccountRecord(sub.provider)
    if (Option.isNone(account)) continue
    for (const d of account.value.deliverables) {
      if (d.acknowledged) continue
      const view = toView(sub.provider, d)
      const deadline = d.timestamp + window
      const remaining = deadline - now
      out.push({
        ...view,
        ageSeconds: now - d.timestamp,
        deadline,
        remainingSeconds: remaining,
        level: view.penalized ? "penalized" : deadlineLevel(remaining, window),
        penaltyPercentage: params.penaltyPercentage,
      })
    }
  }
  return out.sort((a, b) => (a.deliveredAt < b.deliveredAt ? -1 : a.deliveredAt > b.deliveredAt ? 1 : 0))
})

/**
 * Acknowledges a deliverable WITHOUT downloading or verifying it: the escape hatch that unlocks the queue before the
 * penalty deadline. The key is then released even if the model turns out to be bad. No transaction when already done.
 */
export const acknowledgeWithoutDownload = (provider: string, taskId: string) =>
  Effect.gen(function* () {
    const { view } = yield* getDeliverable(provider, taskId)
    if (view.penalized) return yield* new DeliverablePenalized({ provider, taskId })
    if (view.acknowledged) return { taskId, txHash: undefined as string | undefined }
    const tx = yield* sendServing("acknowledgeDeliverable", [provider, taskId])
    return { taskId, txHash: tx.hash as string | undefined }
  })

/** Polls (with backoff) until the provider has settled an acknowledged deliverable and published the wrapped key. */
export const waitForSecret = (provider: string, taskId: string) =>
  Effect.gen(function* () {
    const config = yield* FineTuningConfig
    let delay = config.pollIntervalMs
    for (;;) {
      // The wait can take minutes: a failed chain read in between (an RPC blip) is retried, not the end of it.
      const { record, view } = yield* getDeliverable(provider, taskId).pipe(
        Effect.retry({
          times: 5,
          schedule: Schedule.exponential(config.pollIntervalMs),
          while: (e) => e._tag === "RpcError",
        }),
      )
      if (view.penalized) return yield* new DeliverablePenalized({ provider, taskId })
      if (view.secretReleased) return record.encryptedSecret
      if (!view.acknowledged) return yield* new SecretNotReleased({ taskId, acknowledged: false })
      yield* Effect.sleep(delay)
      delay = Math.min(delay * 2, config.maxPollIntervalMs)
    }
  })
