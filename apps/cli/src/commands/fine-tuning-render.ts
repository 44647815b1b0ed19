/** Human renderings of the fine-tuning results (the `--json` documents are the facade's objects unchanged). */
import { formatZG } from "@0g-compute/core/light"
import { keyValues, table, zg } from "../output.js"

const yesNo = (b: unknown) => (b === true ? "yes" : b === false ? "no" : "-")
const short = (h: string) => (h.length > 20 ? `${h.slice(0, 10)}…${h.slice(-6)}` : h)

export const modelsText = (
  models: ReadonlyArray<{ name: string; hash: string; source: string; description?: string }>,
) =>
  models.length === 0
    ? "no models"
    : table(
        ["name", "hash", "source", "description"],
        models.map((m) => [m.name, short(m.hash), m.source, m.description ?? ""]),
      )

interface Verification {
  readonly provider?: string
  readonly url?: string
  readonly teeSigner?: string
  readonly signerBound?: boolean
  readonly composeHash?: string
  readonly quoteVerified?: boolean
  readonly devnet?: boolean
  readonly attestation?: { readonly verdict?: string; readonly failed?: ReadonlyArray<string> }
}

/** ack-provider: the checks of the quote, then what happened on chain. */
export const providerAckText = (r: { verification: Verification; txHash: string | undefined; funded: bigint }) => {
  const v = r.verification
  return keyValues([
    ["provider", v.provider ?? "-"],
    ["url", v.url ?? "-"],
    ["TEE signer", v.teeSigner ?? "-"],
    ["signer bound by quote", yesNo(v.signerBound)],
    ["compose hash", v.composeHash ?? "-"],
    ["quote verified (TEE)", yesNo(v.quoteVerified)],
    ["devnet quote", yesNo(v.devnet)],
    ...(v.attestation?.verdict === undefined ? [] : [["verdict", v.attestation.verdict.toUpperCase()] as const]),
    ["sub-account funded", r.funded > 0n ? zg(r.funded) : "no (already open)"],
    ["tx", r.txHash ?? "none (already acknowledged)"],
  ])
}

export const uploadText = (r: Readonly<Record<string, unknown>>) =>
  keyValues(
    Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : String(v)] as [string, string]),
  )

export const modelAckText = (r: {
  taskId: string
  path?: string
  modelRootHash?: string
  matchedBy?: string
  source?: string
  txHash: string | undefined
}) =>
  keyValues([
    ["task", r.taskId],
    ...(r.path === undefined
      ? ([["verified", "no (acknowledged without download)"]] as const)
      : ([
          ["encrypted model", r.path],
          ["model root", r.modelRootHash ?? "-"],
          ["verified by", r.matchedBy ?? "-"],
          ["downloaded from", r.source ?? "-"],
        ] as const)),
    ["tx", r.txHash ?? "none (already acknowledged)"],
  ])

export const decryptText = (r: { taskId: string; path: string; bytes: number | bigint; chunkCount: number }) =>
  `task ${r.taskId}: decrypted and verified ${r.bytes} bytes (${r.chunkCount} chunks) → ${r.path}`

/** The provider's fee, shown before the task is funded and created (the broker's formula, term by term). */
export const feeText = (f: {
  total: bigint
  tokens: number
  pricePerToken: bigint
  epochs: number
  priceCoefficient: bigint
  storageFee: bigint
  termsFrom: string
}) =>
  `fee ${zg(f.total)} = ${f.tokens} tokens × ${zg(f.pricePerToken)} × ${f.epochs} epoch(s) × ${f.priceCoefficient} + storage ${zg(f.storageFee)} (terms: ${f.termsFrom})`

export const runText = (r: { taskId: string; datasetHash: string; encryptedPath: string; modelPath: string }) =>
  keyValues([
    ["task", r.taskId],
    ["dataset", r.datasetHash],
    ["encrypted model", r.encryptedPath],
    ["model", r.modelPath],
  ])

const duration = (seconds: bigint) => {
  if (seconds <= 0n) return "overdue"
  const h = seconds / 3600n
  const m = (seconds % 3600n) / 60n
  return h > 0n ? `${h}h ${m}m` : `${m}m ${seconds % 60n}s`
}

export const pendingText = (
  ds: ReadonlyArray<{
    provider: string
    taskId: string
    remainingSeconds: bigint
    level: string
    penaltyPercentage: bigint
  }>,
) =>
  ds.length === 0
    ? "no deliverables waiting for your acknowledgement"
    : table(
        ["provider", "task", "time left", "level", "penalty"],
        ds.map((d) => [d.provider, d.taskId, duration(d.remainingSeconds), d.level, `${d.penaltyPercentage}%`]),
      )

export const tasksText = (
  tasks: ReadonlyArray<{ id: string; createdAt: string; progress: string; fee: bigint; preTrainedModelHash: string }>,
) =>
  tasks.length === 0
    ? "no tasks with this provider"
    : table(
        ["task", "created", "progress", "fee", "model"],
        tasks.map((t) => [t.id, t.createdAt, t.progress, `${formatZG(t.fee)} 0G`, short(t.preTrainedModelHash)]),
      )
