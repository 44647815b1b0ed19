/**
 * Tasks (fine-tuning-protocol.md §3–§6): dataset upload through the provider route, creation (validated config,
 * resolved model, funded sub-account, signed request, no prompts), listing, logs, cancellation, and progress as a
 * Stream that polls with backoff.
 */

import { Wallet } from "@0g-compute/core"
import {
  keccak256Chunks,
  signCancelTask,
  signCreateTask,
  signDatasetUpload,
  taskNonceFromTime,
} from "@0g-compute/crypto"
import { Clock, Effect, Option, Schedule, Schema, Stream } from "effect"
import { getAccountRecord } from "./chain.js"
import { FineTuningConfig } from "./config.js"
import {
  DatasetNotFound,
  DeliverablePenalized,
  InsufficientFunds,
  MalformedProviderResponse,
  MalformedTrainingConfig,
  PreviousDeliverableUnacknowledged,
  ProviderBusy,
  type ProviderHttpError,
  ProviderNotAcknowledged,
  ProviderNotVetted,
  TaskFailed,
  TaskNotCancellable,
  TaskNotFound,
  UnfinishedTask,
  UnknownModel,
} from "./errors.js"
import { type FineTuningFeeTerms, type TaskFee, taskFee } from "./fees.js"
import {
  CreatedJson,
  DatasetUploadJson,
  type ProviderEndpoint,
  progressRank,
  readJson,
  readText,
  send,
  type Task,
  TaskJson,
  type TaskProgress,
  toTask,
} from "./http.js"
import { endpoint, fundSubAccount, listModels } from "./providers.js"
import { parseTrainingConfig, resolveModel } from "./training.js"

const userPath = (wallet: Wallet["Service"]) => `/user/${wallet.address}`

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

const notFound =
  (provider: string, taskId: string) =>
  <A, E extends { readonly _tag: string }, R>(self: Effect.Effect<A, E, R>) =>
    Effect.catchIf(
      self,
      (e: E) => e._tag === "ProviderHttpError" && (e as unknown as ProviderHttpError).status === 404,
      () => Effect.fail(new TaskNotFound({ provider, taskId })),
    )

/** A task the provider names as the user's (and, read by id, as that id), else the lie as a malformed reply. */
const ownTask = (ep: ProviderEndpoint, url: string, user: string, what: string, taskId?: string) => (t: Task) =>
  t.userAddress.toLowerCase() !== user.toLowerCase() || (taskId !== undefined && t.id !== taskId)
    ? Effect.fail(
        new MalformedProviderResponse({
          provider: ep.provider,
          what,
          url,
          detail: `asked for ${taskId ?? "the tasks"} of ${user}, got task ${t.id} of ${t.userAddress}`,
        }),
      )
    : Effect.succeed(t)

/** The user's tasks with a provider, newest first. */
export const listTasks = (provider: string) =>
  Effect.gen(function* () {
    const wallet = yield* Wallet
    const { ep } = yield* endpoint(provider)
    const res = yield* send(ep, "GET", `${userPath(wallet)}/task`)
    const tasks = (yield* readJson(ep, res, Schema.Array(TaskJson))).map(toTask)
    return yield* Effect.forEach(tasks, ownTask(ep, res.url, wallet.address, "task list"))
  })

const fetchTask = (ep: ProviderEndpoint, user: string, taskId: string) =>
  send(ep, "GET", `/user/${user}/task/${encodeURIComponent(taskId)}`).pipe(
    Effect.flatMap((res) =>
      readJson(ep, res, TaskJson).pipe(Effect.map(toTask), Effect.flatMap(ownTask(ep, res.url, user, "task", taskId))),
    ),
    notFound(ep.provider, taskId),
  )

export const getTask = (provider: string, taskId: string) =>
  Effect.gen(function* () {
    const wallet = yield* Wallet
    const { ep } = yield* endpoint(provider)
    return yield* fetchTask(ep, wallet.address, taskId)
  })

/** The task's `progress.log` text. */
export const getTaskLog = (provider: string, taskId: string) =>
  Effect.gen(function* () {
    const wallet = yield* Wallet
    const { ep } = yield* endpoint(provider)
    const res = yield* send(ep, "GET", `${userPath(wallet)}/task/${encodeURIComponent(taskId)}/log`).pipe(
      notFound(provider, taskId),
    )
    return yield* readText(ep, res)
  })

/** Cancels a task still in Init, SettingUp or SetUp (it becomes Failed). */
export const cancelTask = (provider: string, taskId: string) =>
  Effect.gen(function* () {
    const wallet = yield* Wallet
    const { ep } = yield* endpoint(provider)
    const task = yield* fetchTask(ep, wallet.address, taskId)
    if (!["Init", "SettingUp", "SetUp"].includes(task.progress)) {
      return yield* new TaskNotCancellable({ taskId, progress: task.progress })
    }
    const signature = yield* signCancelTask(wallet.signer, taskId)
    const res = yield* send(ep, "POST", `${userPath(wallet)}/task/${encodeURIComponent(taskId)}/cancel`, {
      json: { signature },
    }).pipe(
      Effect.catchIf(
        (e) => e._tag === "ProviderHttpError" && /cannot cancel/i.test(e.detail),
        () => Effect.fail(new TaskNotCancellable({ taskId, progress: "past SetUp" })),
      ),
    )
    return (yield* readText(ep, res)).trim()
  })

export interface WatchOptions {
  /** Stop after the task reaches this state (default "Delivered", where the user must act). */
  readonly until?: TaskProgress
}

/**
 * The broker's setup shortfall when it is a task log's last failure ("setup failed: …" from the broker, "task
 * failed: …" from the devnet; setup may be retried, so earlier attempts do not count): "insufficient account balance
 * after pending refund: required X, available Y" (older builds: "expected X, got Y").
 */
export const shortfall = (log: string): { readonly required: bigint; readonly available: bigint } | undefined => {
  const lastFailure =
    log
      .split("\n")
      .filter((l) => /\b(?:setup|task) failed: /.test(l))
      .at(-1) ?? ""
  const m =
    /insufficient account balance after pending refund: (?:required|expected) (\d+), (?:available|got) (-?\d+)/.exec(
      lastFailure,
    )
  return m === null ? undefined : { required: BigInt(m[1] ?? "0"), available: BigInt(m[2] ?? "0") }
}

/** The fee a task would cost (the same lookup as `createTask`), without funding, signing or creating anything. */
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

/**
 * The failure of a Failed task, from its log: a dataset the provider could not fetch is `DatasetNotFound`, a fee the
 * sub-account could not cover is `InsufficientFunds`, anything else `TaskFailed` with the last log lines.
 */
const taskFailed = (ep: ProviderEndpoint, user: string, task: Task) =>
  send(ep, "GET", `/user/${user}/task/${encodeURIComponent(task.id)}/log`).pipe(
    Effect.flatMap((res) => readText(ep, res)),
    Effect.orElseSucceed(() => ""),
    Effect.flatMap((log): Effect.Effect<never, DatasetNotFound | InsufficientFunds | TaskFailed> => {
      const logTail = log.trimEnd().split("\n").filter(Boolean).slice(-5)
      const last = logTail.filter((l) => /task failed/.test(l)).at(-1) ?? ""
      if (/dataset .* not found/i.test(last)) {
        return Effect.fail(new DatasetNotFound({ dataset: task.datasetHash, reason: "the provider cannot fetch it" }))
      }
      const funds = shortfall(log)
      if (funds !== undefined) {
        return Effect.fail(
          new InsufficientFunds({
            provider: ep.provider,
            ...funds,
            detail: `task ${task.id} failed in the provider's setup check (balance − pendingRefund)`,
          }),
        )
      }
      return Effect.fail(new TaskFailed({ taskId: task.id, logTail }))
    }),
  )

/**
 * Each progress change of a task, polled with backoff (the interval doubles while nothing changes and resets on a
 * change). Ends after the `until` state (or Finished); a Failed task fails the stream with `TaskFailed`.
 */
export const watchTask = (provider: string, taskId: string, options: WatchOptions = {}) =>
  Stream.unwrap(
    Effect.gen(function* () {
      const wallet = yield* Wallet
      const { ep } = yield* endpoint(provider)
      const target = progressRank(options.until ?? "Delivered")
      const { pollIntervalMs, maxPollIntervalMs } = yield* FineTuningConfig
      return Stream.unfold({ last: "", done: false }, (s) =>
        s.done
          ? Effect.succeed(undefined)
          : Effect.gen(function* () {
              let delay = pollIntervalMs
              for (;;) {
                // A provider restart, a network blip or a moment's hang must not end a long watch: retry them.
                const task = yield* fetchTask(ep, wallet.address, taskId).pipe(
                  Effect.retry({
                    times: 5,
                    schedule: Schedule.exponential(pollIntervalMs),
                    while: (e) => e._tag === "ProviderUnreachable" || e._tag === "ProviderTimeout",
                  }),
                )
                if (task.progress === "Failed") return yield* taskFailed(ep, wallet.address, task)
                if (task.progress !== s.last) {
                  const rank = progressRank(task.progress)
                  const done = rank >= target || task.progress === "Finished"
                  return [task, { last: task.progress, done }] as const
                }
                yield* Effect.sleep(delay)
                delay = Math.min(delay * 2, maxPollIntervalMs)
              }
            }),
      )
    }),
  )

/** Runs {@link watchTask} to its end, calling `onProgress` for each change; returns the last task seen. */
export const waitForTask = (
  provider: string,
  taskId: string,
  options: WatchOptions & { readonly onProgress?: (task: Task) => void } = {},
) =>
  Stream.runFold(
    watchTask(provider, taskId, options),
    () => undefined as Task | undefined,
    (_, task) => {
      options.onProgress?.(task)
      return task
    },
  ).pipe(
    Effect.flatMap((t) => (t === undefined ? Effect.fail(new TaskNotFound({ provider, taskId })) : Effect.succeed(t))),
  )
