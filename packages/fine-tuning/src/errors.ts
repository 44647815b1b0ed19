/**
 * Typed failures of the fine-tuning client. Each carries the fields a program can act on and a one-line message the
 * CLI prints. No error holds key material: only addresses, hashes, ids, paths and amounts.
 */
import { describeCause, formatZG } from "@0g-compute/core"
import type { UploadError, UploadHashError } from "@0g-compute/storage"
import type { DownloadFileError } from "@0g-compute/storage/node"
import { Data } from "effect"

const short = (hex: string) => (hex.length > 20 ? `${hex.slice(0, 10)}…${hex.slice(-8)}` : hex)
const causeText = describeCause

// ── Providers and HTTP ────────────────────────────────────────────────────────────────────────────────────────────

/** No fine-tuning service is registered for this provider address. */
export class FineTuningServiceNotFound extends Data.TaggedError("FineTuningServiceNotFound")<{
  readonly provider: string
}> {
  override get message() {
    return `No fine-tuning service is registered for provider ${this.provider}`
  }
}

/** Shared with every provider client; lives in the core catalogue. */
export { MalformedProviderResponse, ProviderHttpError, ProviderUnreachable } from "@0g-compute/core"

/** The quote is unusable (no `report_data`, not JSON). */
export class QuoteInvalid extends Data.TaggedError("QuoteInvalid")<{
  readonly provider: string
  readonly reason: string
}> {
  override get message() {
    return `Invalid quote from provider ${this.provider}: ${this.reason}`
  }
}

/** The quote's report_data names another signer than the service's on-chain `teeSignerAddress`. */
export class QuoteSignerMismatch extends Data.TaggedError("QuoteSignerMismatch")<{
  readonly provider: string
  readonly reported: string
  readonly onChain: string
}> {
  override get message() {
    return `The quote of provider ${this.provider} binds signer ${this.reported}, but the chain records ${this.onChain}; not acknowledging`
  }
}

/** The contract owner has not acknowledged (vetted) the provider's TEE signer; tasks cannot settle. */
export class ProviderNotVetted extends Data.TaggedError("ProviderNotVetted")<{ readonly provider: string }> {
  override get message() {
    return `The TEE signer of provider ${this.provider} is not acknowledged by the contract owner; its tasks cannot settle`
  }
}

/** The user has not acknowledged the provider's TEE signer (no funded sub-account, or revoked): core's catalogue. */
export { ProviderNotAcknowledged } from "@0g-compute/core"

// ── Task creation ─────────────────────────────────────────────────────────────────────────────────────────────────

/** The training configuration breaks the strict schema providers enforce (spec §3.3). */
export class MalformedTrainingConfig extends Data.TaggedError("MalformedTrainingConfig")<{
  readonly field: string
  readonly reason: string
}> {
  override get message() {
    return `Malformed training config (${this.field}): ${this.reason}`
  }
}

/** Neither a predefined model nor one the provider offers. */
export class UnknownModel extends Data.TaggedError("UnknownModel")<{
  readonly model: string
  readonly available: ReadonlyArray<string>
}> {
  override get message() {
    return `Unknown model ${JSON.stringify(this.model)}; available: ${this.available.join(", ") || "none"}`
  }
}

/**
 * The provider's fee terms for this model are unknown: it is not in the broker's SCRIPT_MAP table and the provider
 * publishes none. The real broker fails such a task in setup ("model configuration not found in SCRIPT_MAP"); pass
 * `feeTerms` explicitly to go ahead anyway.
 */
export class ModelFeeUnknown extends Data.TaggedError("ModelFeeUnknown")<{
  readonly model: string
  readonly hash: string
}> {
  override get message() {
    return `No price coefficient or storage fee is known for model ${this.model} (${short(this.hash)}); the provider would refuse it in setup — pass feeTerms to override`
  }
}

/** A fee asked for a token count that is not a whole number ≥ 0 (a negative count would quote less than the provider bills). */
export class InvalidTokenCount extends Data.TaggedError("InvalidTokenCount")<{
  readonly tokens: number
}> {
  override get message() {
    return `The token count for the fee must be a whole number of at least 0, got ${this.tokens}`
  }
}

/** The dataset file does not exist or is empty, or the provider does not have the dataset a task names. */
export class DatasetNotFound extends Data.TaggedError("DatasetNotFound")<{
  readonly dataset: string
  readonly reason: string
}> {
  override get message() {
    return `Dataset ${this.dataset} not found: ${this.reason}`
  }
}

/** The ledger cannot cover the task fee (amounts in neuron). */
export class InsufficientFunds extends Data.TaggedError("InsufficientFunds")<{
  readonly provider: string
  readonly required: bigint
  readonly available: bigint
  readonly detail: string
}> {
  override get message() {
    return `Insufficient funds for provider ${this.provider}: need ${formatZG(this.required)} 0G, have ${formatZG(this.available)} 0G (${this.detail})`
  }
}

/** The task's fee is above the most the caller would pay (`maxFee`); nothing was funded or signed. */
export class TaskFeeAboveMaximum extends Data.TaggedError("TaskFeeAboveMaximum")<{
  readonly provider: string
  readonly fee: bigint
  readonly maximum: bigint
}> {
  override get message() {
    return `The task would cost ${formatZG(this.fee)} 0G at provider ${this.provider}, above the maximum of ${formatZG(this.maximum)} 0G; nothing was funded or created`
  }
}

/** The provider's queue is busy and the caller chose not to wait (or the queue is full). */
export class ProviderBusy extends Data.TaggedError("ProviderBusy")<{
  readonly provider: string
  readonly pending: number
  readonly detail: string
}> {
  override get message() {
    return `Provider ${this.provider} is busy (${this.pending} task(s) pending): ${this.detail}; retry later or pass queue: "wait"`
  }
}

/** The user already has a task with this provider that is not Finished or Failed. */
export class UnfinishedTask extends Data.TaggedError("UnfinishedTask")<{
  readonly provider: string
  readonly taskId: string
  readonly progress: string
}> {
  override get message() {
    return `Task ${this.taskId} with provider ${this.provider} is still ${this.progress}; finish, acknowledge or cancel it first`
  }
}

/** The latest deliverable is unacknowledged: the provider cannot deliver again (spec §11.1). Acknowledge it now. */
export class PreviousDeliverableUnacknowledged extends Data.TaggedError("PreviousDeliverableUnacknowledged")<{
  readonly provider: string
  readonly taskId: string
}> {
  override get message() {
    return `The model of task ${this.taskId} is not acknowledged; acknowledge it (\`acknowledgeModel(provider, taskId)\`, or \`acknowledgeWithoutDownload\`) before the provider's deadline, or the pair is locked`
  }
}

/** A deliverable was settled with the penalty: the key is never released and the pair can get no new deliveries. */
export class DeliverablePenalized extends Data.TaggedError("DeliverablePenalized")<{
  readonly provider: string
  readonly taskId: string
}> {
  override get message() {
    return `Task ${this.taskId} was settled with the penalty (not acknowledged in time): its key is withheld forever and provider ${this.provider} cannot deliver to you again until your ledger is emptied`
  }
}

// ── Tasks ─────────────────────────────────────────────────────────────────────────────────────────────────────────

export class TaskNotFound extends Data.TaggedError("TaskNotFound")<{
  readonly provider: string
  readonly taskId: string
}> {
  override get message() {
    return `Provider ${this.provider} has no task ${this.taskId} for you`
  }
}

/** The task ended in `Failed`; `logTail` holds its last log lines. */
export class TaskFailed extends Data.TaggedError("TaskFailed")<{
  readonly taskId: string
  readonly logTail: ReadonlyArray<string>
}> {
  override get message() {
    return `Task ${this.taskId} failed${this.logTail.length > 0 ? `: ${this.logTail.at(-1)}` : ""}`
  }
}

export class TaskNotCancellable extends Data.TaggedError("TaskNotCancellable")<{
  readonly taskId: string
  readonly progress: string
}> {
  override get message() {
    return `Task ${this.taskId} is ${this.progress}; only Init, SettingUp and SetUp tasks can be cancelled`
  }
}

// ── Delivery, verification, decryption ────────────────────────────────────────────────────────────────────────────

/** No deliverable on chain for the task yet (not delivered). */
export class DeliverableNotFound extends Data.TaggedError("DeliverableNotFound")<{
  readonly provider: string
  readonly taskId: string
}> {
  override get message() {
    return `Task ${this.taskId} has no deliverable on chain yet; wait until it is Delivered`
  }
}

/** The downloaded file is TEE-signed, but its keccak and 0G merkle root both differ from the on-chain root. */
export class ModelRootMismatch extends Data.TaggedError("ModelRootMismatch")<{
  readonly taskId: string
  readonly expected: string
  readonly keccak: string
  readonly merkleRoot: string
  /** The rejected file, kept as evidence. */
  readonly path: string
}> {
  override get message() {
    return `Model of task ${this.taskId}: on-chain root ${short(this.expected)} matches neither keccak ${short(this.keccak)} nor merkle root ${short(this.merkleRoot)}; not acknowledged (file kept at ${this.path})`
  }
}

/** The file was altered after the TEE produced it (malformed, tags or ciphertext changed). */
export class ModelFileTampered extends Data.TaggedError("ModelFileTampered")<{
  readonly taskId: string
  readonly reason: string
  readonly path: string
}> {
  override get message() {
    return `Model file of task ${this.taskId} was tampered with: ${this.reason} (kept at ${this.path}); not acknowledged`
  }
}

/** The file's tag signature does not come from the service's on-chain TEE signer. */
export class WrongTagSignature extends Data.TaggedError("WrongTagSignature")<{
  readonly taskId: string
  readonly expected: string
  readonly recovered: string
}> {
  override get message() {
    return `Model file of task ${this.taskId} is signed by ${this.recovered}, not the TEE signer ${this.expected}; refused`
  }
}

/** The provider has not settled yet, so `encryptedSecret` is still empty. */
export class SecretNotReleased extends Data.TaggedError("SecretNotReleased")<{
  readonly taskId: string
  readonly acknowledged: boolean
}> {
  override get message() {
    return this.acknowledged
      ? `The key of task ${this.taskId} is not released yet; the provider settles shortly after the acknowledgement`
      : `The key of task ${this.taskId} is released only after you acknowledge the model`
  }
}

/** The private key cannot unwrap the secret: it is not the key that signed the task. */
export class WrongDecryptionKey extends Data.TaggedError("WrongDecryptionKey")<{
  readonly taskId: string
  readonly keyAddress: string
  readonly taskUser: string
}> {
  override get message() {
    return `The key of ${this.keyAddress} cannot decrypt task ${this.taskId}; use the private key of ${this.taskUser}`
  }
}

/** The provider released a well-formed secret that the task's own key cannot open: wrapped for another key. */
export class SecretUnusable extends Data.TaggedError("SecretUnusable")<{
  readonly provider: string
  readonly taskId: string
  readonly taskUser: string
}> {
  override get message() {
    return `Provider ${this.provider} released a key for task ${this.taskId} that the task's own key (${this.taskUser}) cannot open: the provider wrapped it for another key`
  }
}

/** Decryption needs the raw private key (ECIES); a signer alone is not enough. */
export class PrivateKeyRequired extends Data.TaggedError("PrivateKeyRequired")<{ readonly operation: string }> {
  override get message() {
    return `${this.operation} needs the wallet's raw private key (hardware and browser wallets cannot decrypt models)`
  }
}

/** What 0G Storage reported for a dataset upload or a model download: the storage package's own typed error. */
export type StorageTransferCause = UploadError | UploadHashError | DownloadFileError

/** A 0G Storage upload or download failed; `cause` is storage's typed error (narrow it by `_tag`). */
export class StorageTransferFailed extends Data.TaggedError("StorageTransferFailed")<{
  readonly operation: "upload" | "download"
  readonly cause: StorageTransferCause
}> {
  override get message() {
    return `0G Storage ${this.operation} failed: ${causeText(this.cause)}`
  }
}

/** A local file operation failed. */
export class LocalFileError extends Data.TaggedError("LocalFileError")<{
  readonly path: string
  readonly operation: string
  readonly cause: unknown
}> {
  override get message() {
    return `Cannot ${this.operation} ${this.path}: ${causeText(this.cause)}`
  }
}

/** The pipeline state file belongs to another run (different provider, dataset or model). */
export class PipelineStateMismatch extends Data.TaggedError("PipelineStateMismatch")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Pipeline state ${this.path} does not match this run: ${this.reason}; use another \`stateFile\` or \`outputDir\``
  }
}
