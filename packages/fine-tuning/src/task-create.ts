/**
 * Creating a task (fine-tuning-protocol.md §3–§4): the dataset upload through the provider route, the fee quote, and
 * creation: validated config, resolved model, a fee within the caller's maximum, the funded sub-account, the signed
 * request, no prompts.
 */
import { Wallet } from "@0g-compute/core"
import { keccak256Chunks, signCreateTask, signDatasetUpload, taskNonceFromTime } from "@0g-compute/crypto"
import { Clock, Effect, Option } from "effect"
import { getAccountRecord } from "./chain.js"
import {
  DatasetNotFound,
  DeliverablePenalized,
  InsufficientFunds,
  MalformedProviderResponse,
  MalformedTrainingConfig,
  PreviousDeliverableUnacknowledged,
  ProviderBusy,
  ProviderNotAcknowledged,
  ProviderNotVetted,
  TaskFeeAboveMaximum,
  UnfinishedTask,
  UnknownModel,
} from "./errors.js"
import { type FineTuningFeeTerms, type TaskFee, taskFee } from "./fees.js"
import { CreatedJson, DatasetUploadJson, readJson, readText, send, userPath } from "./http.js"
import { endpoint, fundSubAccount, listModels } from "./providers.js"
import { parseTrainingConfig, resolveModel } from "./training.js"

/**
 * Uploads a JSONL dataset through the provider's own route (the fallback when 0G Storage is not used). The reply's
 * `datasetHash` must be keccak256 of the bytes sent.
 */
export const uploadDatasetBytes = (provider: string, dataset: Uint8Array, fileName = "dataset.jsonl") =>
  Effect.gen(function* () {
    const wallet = yield* Wallet
    if (dataset.length === 0) return yield* new DatasetNotFound({ dataset: fileName, reason: "the dataset is empty" })
    const { ep } = yield* endpoint(provider)
    const signed = yield* signDatasetUpload(wallet.signer, { userAddress: wallet.address })
    const form = new FormData()
    form.set("file", new Blob([new Uint8Array(dataset)], { type: "application/octet-stream" }), fileName)
    form.set("signature", signed.signature)
    form.set("timestamp", String(signed.timestamp))
    const res = yield* send(ep, "POST", `${userPath(wallet)}/dataset`, { form })
    const { datasetHash } = yield* readJson(ep, res, DatasetUploadJson)
    const expected = keccak256Chunks([dataset])
    if (datasetHash.toLowerCase() !== expected) {
      return yield* new MalformedProviderResponse({
        provider,
        what: "dataset upload reply",
        url: ep.url,
        detail: `datasetHash ${datasetHash} is not keccak256 of the uploaded bytes (${expected})`,
      })
    }
    return { datasetHash, bytes: dataset.length }
  })

export interface CreateTaskOptions {
  readonly provider: string
  /** A predefined or provider model name, or its hash. */
  readonly model: string
  /** The dataset's 0G Storage root, or the hash returned by the upload route. */
  readonly datasetHash: string
  /** The config file's text (sent verbatim) or an object with the five keys. */
  readonly trainingParams: string | Readonly<Record<string, unknown>>
  /** Token count for the fee estimate (see `estimateTokens`); 0 when unknown. */
  readonly tokens?: number
  /** Price coefficient and storage fee to use instead of the provider's published terms or the table. */
  readonly feeTerms?: FineTuningFeeTerms
  /** Called with the fee before anything is funded or signed (the CLI prints it). */
  readonly onFee?: (fee: TaskFee) => void
  /** The most this task may cost, in neuron: a higher fee is `TaskFeeAboveMaximum` before anything is funded. */
  readonly maxFee?: bigint
  /** "auto" (default) tops the sub-account up to the estimated fee from the ledger; "never" only checks. */
  readonly funding?: "auto" | "never"
  /** "fail" (default): a busy provider is `ProviderBusy`; "wait": queue behind other users' tasks. */
  readonly queue?: "wait" | "fail"
}

export interface CreatedTask {
  readonly taskId: string
  readonly provider: string
  readonly modelHash: string
  readonly datasetHash: string
  readonly nonce: bigint
  /** `fee.total`: the broker's formula over our token estimate; the provider computes the charged fee itself. */
  readonly estimatedFee: bigint
  readonly fee: TaskFee
}

/** The model, carrying the fee terms the provider publishes for its hash when any entry of its list does. */
const resolveFeeModel = (name: string, provider: string) =>
  Effect.gen(function* () {
    const catalogue = yield* listModels(provider)
    const model = yield* resolveModel(name, catalogue)
    const hash = model.hash.toLowerCase()
    const published = catalogue.find((m) => m.hash.toLowerCase() === hash && m.feeTerms !== undefined)?.feeTerms
    return published === undefined ? model : { ...model, feeTerms: published }
  })

/** Refines a create-task rejection into the error its message describes. */
const refineCreateError = (provider: string, model: string) => (e: { status: number; detail: string }) => {
  const m = e.detail.toLowerCase()
  const unfinished = /unfinished task ([0-9a-f-]{36})(?: \((\w+)\))?/i.exec(e.detail)
  if (unfinished !== null) {
    return new UnfinishedTask({ provider, taskId: unfinished[1] ?? "", progress: unfinished[2] ?? "unknown" })
  }
  if (/queue full|in-progress tasks/.test(m)) return new ProviderBusy({ provider, pending: -1, detail: e.detail })
  if (/unsupported model/.test(m)) return new UnknownModel({ model, available: [] })
  if (/trainingparams/.test(m)) return new MalformedTrainingConfig({ field: "trainingParams", reason: e.detail })
  if (/not acknowledged/.test(m)) return new ProviderNotAcknowledged({ provider })
  return undefined
}

/** Validates everything locally, funds the sub-account, signs and submits a task. Never prompts. */
export const createTask = (options: CreateTaskOptions) =>
  Effect.gen(function* () {
    const wallet = yield* Wallet
    const config = yield* parseTrainingConfig(options.trainingParams)
    const { service, ep } = yield* endpoint(options.provider)
    const provider = service.provider
    if (!service.teeSignerAcknowledged) return yield* new ProviderNotVetted({ provider })
    const model = yield* resolveFeeModel(options.model, provider)

    // The locked queue (§11.1): an unacknowledged latest deliverable blocks every further delivery.
    const account = yield* getAccountRecord(provider)
    const latest = Option.isSome(account) ? account.value.deliverables.at(-1) : undefined
    if (latest !== undefined && !latest.acknowledged) {
      return yield* latest.settled
        ? new DeliverablePenalized({ provider, taskId: latest.id })
        : new PreviousDeliverableUnacknowledged({ provider, taskId: latest.id })
    }

    const quoted = yield* taskFee(
      model,
      options.tokens ?? 0,
      service.pricePerToken,
      config.params.num_train_epochs,
      options.feeTerms,
    )
    options.onFee?.(quoted)
    const fee = quoted.total
    if (options.maxFee !== undefined && fee > options.maxFee)
      return yield* new TaskFeeAboveMaximum({ provider, fee, maximum: options.maxFee })
    // Any transfer into the sub-account acknowledges the TEE signer on chain: only acknowledgeProvider (after its
    // quote check) may do that, never a top-up here.
    if (Option.isNone(account) || !account.value.acknowledged) return yield* new ProviderNotAcknowledged({ provider })
    const spendable = account.value.balance - account.value.pendingRefund
    if (spendable < fee) {
      if (options.funding === "never") {
        return yield* new InsufficientFunds({ provider, required: fee, available: spendable, detail: "sub-account" })
      }
      yield* fundSubAccount(provider, fee - spendable)
    }
    const onChainNonce = account.value.nonce
    const timeNonce = taskNonceFromTime(yield* Clock.currentTimeMillis)
    const nonce = timeNonce > onChainNonce ? timeNonce : onChainNonce + 1n

    const pending = Number((yield* readText(ep, yield* send(ep, "GET", "/task/pending"))).trim())
    if (pending > 0 && options.queue !== "wait") {
      return yield* new ProviderBusy({ provider, pending, detail: "other tasks are in progress" })
    }
    const signed = yield* signCreateTask(wallet.signer, { datasetHash: options.datasetHash, nonce })
    const res = yield* send(ep, "POST", `${userPath(wallet)}/task`, {
      json: {
        userAddress: signed.userAddress,
        preTrainedModelHash: model.hash,
        datasetHash: options.datasetHash,
        trainingParams: config.text,
        fee: "0", // the provider computes and overwrites it (§3.1)
        nonce: nonce.toString(),
        signature: signed.signature,
        wait: options.queue === "wait",
      },
    }).pipe(
      Effect.catchTag("ProviderHttpError", (e) => Effect.fail(refineCreateError(provider, options.model)(e) ?? e)),
    )
    const { id } = yield* readJson(ep, res, CreatedJson)
    return {
      taskId: id,
      provider,
      modelHash: model.hash,
      datasetHash: options.datasetHash,
      nonce,
      estimatedFee: fee,
      fee: quoted,
    } satisfies CreatedTask
  })

export const quoteTaskFee = (
  options: Pick<CreateTaskOptions, "provider" | "model" | "trainingParams" | "tokens" | "feeTerms">,
) =>
  Effect.gen(function* () {
    const config = yield* parseTrainingConfig(options.trainingParams)
    const { service } = yield* endpoint(options.provider)
    const model = yield* resolveFeeModel(options.model, service.provider)
    const epochs = config.params.num_train_epochs
    return yield* taskFee(model, options.tokens ?? 0, service.pricePerToken, epochs, options.feeTerms)
  })
