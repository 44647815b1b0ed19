/**
 * Tasks once created (fine-tuning-protocol.md §5–§6): listing, logs, cancellation, and progress as a Stream that
 * polls with backoff. Creation is in task-create.ts.
 */

import { Wallet } from "@0g-compute/core"
import { signCancelTask } from "@0g-compute/crypto"
import { Effect, Schedule, Schema, Stream } from "effect"
import { FineTuningConfig } from "./config.js"
import {
  DatasetNotFound,
  InsufficientFunds,
  MalformedProviderResponse,
  type ProviderHttpError,
  TaskFailed,
  TaskNotCancellable,
  TaskNotFound,
} from "./errors.js"
import {
  type ProviderEndpoint,
  progressRank,
  readJson,
  readText,
  send,
  type Task,
  TaskJson,
  type TaskProgress,
  toTask,
  userPath,
} from "./http.js"
import { endpoint } from "./providers.js"

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
