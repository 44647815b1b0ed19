/**
 * The one-shot pipeline: upload → create → wait → acknowledge (download + verify) → wait for the key → decrypt.
 * Progress is recorded in a small JSON state file after every step, so a rerun after an interruption (Ctrl-C, crash,
 * network loss) continues where it stopped instead of paying for a second task. The model is acknowledged as soon
 * as it is delivered and verified, which keeps the user clear of the provider's penalty deadline.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { join, resolve } from "node:path"
import { keccak256Chunks } from "@0g-compute/crypto"
import { Effect, type Redacted } from "effect"
import { waitForSecret } from "../deliverables.js"
import { LocalFileError, PipelineStateMismatch } from "../errors.js"
import type { TaskFee } from "../fees.js"
import type { Task } from "../http.js"
import { createTask, uploadDatasetBytes } from "../task-create.js"
import { listTasks, waitForTask } from "../tasks.js"
import { estimateTokens } from "../training.js"
import { readDataset } from "./dataset.js"
import { acknowledgeModel, decryptModel } from "./model.js"

export interface PipelineOptions {
  readonly provider: string
  readonly datasetPath: string
  readonly model: string
  readonly trainingParams: string | Readonly<Record<string, unknown>>
  /** Where the encrypted file, the model zip and (by default) the state file go. */
  readonly outputDir: string
  /** default `<outputDir>/fine-tuning-state.json`. */
  readonly stateFile?: string
  readonly privateKey: Redacted.Redacted<string>
  readonly queue?: "wait" | "fail"
  /** The most the task may cost, in neuron (`createTask`'s `maxFee`). */
  readonly maxFee?: bigint
  readonly onEvent?: (event: PipelineEvent) => void
}

export type PipelineEvent =
  | { readonly stage: "resumed"; readonly state: PipelineState }
  | { readonly stage: "uploaded"; readonly datasetHash: string }
  /** The provider's fee for the task, reported before it is funded and created. */
  | { readonly stage: "fee"; readonly fee: TaskFee }
  | { readonly stage: "created"; readonly taskId: string; readonly adopted: boolean }
  | { readonly stage: "progress"; readonly taskId: string; readonly task: Task }
  | { readonly stage: "acknowledged"; readonly taskId: string; readonly encryptedPath: string }
  | { readonly stage: "key-released"; readonly taskId: string }
  | { readonly stage: "decrypted"; readonly taskId: string; readonly modelPath: string }

export interface PipelineState {
  readonly version: 1
  readonly provider: string
  readonly model: string
  readonly datasetKeccak: string
  readonly datasetHash?: string
  readonly taskId?: string
  readonly encryptedPath?: string
  readonly acknowledged?: boolean
  readonly modelPath?: string
}

export interface PipelineResult {
  readonly taskId: string
  readonly datasetHash: string
  readonly encryptedPath: string
  readonly modelPath: string
}

/** A parsed state file that has the state's shape (a hand-edited or foreign file may not). */
const isState = (u: unknown): u is PipelineState => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return false
  const s = u as Record<string, unknown>
  const optional = (key: string, type: "string" | "boolean") => s[key] === undefined || typeof s[key] === type
  return (
    s.version === 1 &&
    typeof s.provider === "string" &&
    typeof s.model === "string" &&
    typeof s.datasetKeccak === "string" &&
    ["datasetHash", "taskId", "encryptedPath", "modelPath"].every((k) => optional(k, "string")) &&
    optional("acknowledged", "boolean")
  )
}

/** The saved state; undefined when there is none yet (a fresh run). */
const loadState = (path: string) =>
  Effect.tryPromise({
    try: async (): Promise<unknown> => {
      try {
        return JSON.parse(await readFile(path, "utf8"))
      } catch (e) {
        if ((e as { code?: string }).code === "ENOENT") return undefined
        throw e
      }
    },
    catch: () => new PipelineStateMismatch({ path, reason: "unreadable or not JSON" }),
  }).pipe(
    Effect.flatMap((u) =>
      u === undefined || isState(u)
        ? Effect.succeed(u)
        : Effect.fail(new PipelineStateMismatch({ path, reason: "not a fine-tuning pipeline state" })),
    ),
  )

/** Atomic save (temp file + rename): an interruption never leaves a half-written state. */
const saveState = (path: string, state: PipelineState) =>
  Effect.tryPromise({
    try: async () => {
      const temp = `${path}.partial`
      await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 })
      await rename(temp, path)
    },
    catch: (cause) => new LocalFileError({ path, operation: "write", cause }),
  })

export const runPipeline = (options: PipelineOptions) =>
  Effect.gen(function* () {
    const emit = (e: PipelineEvent) => options.onEvent?.(e)
    const outputDir = resolve(options.outputDir)
    const statePath = options.stateFile ?? join(outputDir, "fine-tuning-state.json")
    // Before anything is paid for: a missing output directory is made, an unwritable one fails here, not after training.
    yield* Effect.tryPromise({
      try: () => mkdir(outputDir, { recursive: true }),
      catch: (cause) => new LocalFileError({ path: outputDir, operation: "create", cause }),
    })
    const dataset = yield* readDataset(options.datasetPath)
    const datasetKeccak = keccak256Chunks([dataset])
    const fresh: PipelineState = { version: 1, provider: options.provider, model: options.model, datasetKeccak }
    const previous = yield* loadState(statePath)
    if (previous !== undefined) {
      const differs =
        previous.provider.toLowerCase() !== options.provider.toLowerCase()
          ? "provider"
          : previous.model !== options.model
            ? "model"
            : previous.datasetKeccak !== datasetKeccak
              ? "dataset contents"
              : undefined
      if (differs !== undefined) {
        return yield* new PipelineStateMismatch({ path: statePath, reason: `a different ${differs}` })
      }
      emit({ stage: "resumed", state: previous })
    }
    let state = previous ?? fresh
    const save = (patch: Partial<PipelineState>) => {
      state = { ...state, ...patch }
      return saveState(statePath, state)
    }
    yield* save({})

    let datasetHash = state.datasetHash
    if (datasetHash === undefined) {
      datasetHash = (yield* uploadDatasetBytes(options.provider, dataset)).datasetHash
      yield* save({ datasetHash })
      emit({ stage: "uploaded", datasetHash })
    }

    let taskId = state.taskId
    if (taskId === undefined) {
      // A crash between the create request and the save leaves a task we did not record: adopt it.
      const hash = datasetHash
      const orphan = (yield* listTasks(options.provider)).find(
        (t) => t.datasetHash === hash && t.progress !== "Failed" && t.progress !== "Finished",
      )
      const id =
        orphan?.id ??
        (yield* createTask({
          provider: options.provider,
          model: options.model,
          datasetHash,
          trainingParams: options.trainingParams,
          tokens: estimateTokens(dataset),
          queue: options.queue ?? "fail",
          ...(options.maxFee === undefined ? {} : { maxFee: options.maxFee }),
          onFee: (fee) => emit({ stage: "fee", fee }),
        })).taskId
      taskId = id
      yield* save({ taskId })
      emit({ stage: "created", taskId: id, adopted: orphan !== undefined })
    }

    const id = taskId
    yield* waitForTask(options.provider, id, {
      until: "Delivered",
      onProgress: (task) => emit({ stage: "progress", taskId: id, task }),
    })

    let encryptedPath = state.encryptedPath ?? join(outputDir, `${id}.model.enc`)
    if (state.acknowledged !== true) {
      // The pipeline's own file (named after the task): a rerun replaces what an interrupted run left.
      encryptedPath = (yield* acknowledgeModel(options.provider, id, encryptedPath, { overwrite: true })).path
      yield* save({ encryptedPath, acknowledged: true })
      emit({ stage: "acknowledged", taskId: id, encryptedPath })
    }

    yield* waitForSecret(options.provider, id)
    emit({ stage: "key-released", taskId: id })
    const modelPath = state.modelPath ?? join(outputDir, `${id}.model.zip`)
    yield* decryptModel(options.provider, id, { encryptedPath, outputPath: modelPath, privateKey: options.privateKey })
    yield* save({ modelPath })
    emit({ stage: "decrypted", taskId: id, modelPath })
    return { taskId: id, datasetHash, encryptedPath, modelPath } satisfies PipelineResult
  })
