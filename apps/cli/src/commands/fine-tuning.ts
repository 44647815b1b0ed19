/**
 * `0g-compute fine-tuning list|models|ack-provider|upload|create|list-tasks|watch|logs|cancel|ack-model|decrypt|run|
 * pending`:
 * over @0g-compute/fine-tuning's Effect services. Nothing is acknowledged unless the model verifies.
 */
import { lstat, mkdir } from "node:fs/promises"
import { join } from "node:path"
import { Data, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { requireKey } from "../context.js"
import { OutputExists, type TaggedFailure } from "../failure.js"
import * as lazy from "../lazy.js"
import { keyValues, lineWriter, makePrinter, printResult, table, zg } from "../output.js"
import {
  decryptText,
  feeText,
  modelAckText,
  modelsText,
  pendingText,
  providerAckText,
  runText,
  tasksText,
  uploadText,
} from "./fine-tuning-render.js"
import {
  type FineTuningModule,
  indexerFlag,
  maxFeeFlag,
  providerFlag,
  readConfig,
  taskFlag,
  trainingFlags,
  withFineTuning,
} from "./fine-tuning-shared.js"
import { intFlagAtLeast, optionalZG } from "./flags.js"
import { ackFlags, ackOptionsOf } from "./inference-shared.js"
import { switchFlag, withErrors } from "./root.js"

/** The output directory of `fine-tuning run` could not be created. */
export class OutputDirUnwritable extends Data.TaggedError("OutputDirUnwritable")<{
  readonly path: string
  readonly code: string | undefined
}> {
  override get message() {
    return `cannot create the output directory ${this.path}${this.code === undefined ? "" : ` (${this.code})`}`
  }
}

/** Whether anything (a file, a link, a device) already has this name. */
const exists = (path: string) =>
  Effect.promise(() =>
    lstat(path).then(
      () => true,
      () => false,
    ),
  )

/** Runs `f` with the fine-tuning services and prints its result as JSON or through `human`. */
const command = <A, E extends TaggedFailure, R>(
  indexer: Option.Option<string>,
  f: (m: FineTuningModule) => Effect.Effect<A, E, R>,
  human: (a: A) => string,
) => withFineTuning(indexer, (m, g) => printResult(g.json, f(m), human))

const list = Command.make(
  "list",
  {
    all: switchFlag("all", "include providers the owner has not vetted"),
  },
  ({ all }) =>
    command(
      Option.none(),
      (m) => m.FineTuningProviders.use((p) => p.list({ includeUnvetted: all })),
      (services) =>
        table(
          ["provider", "url", "price/token", "occupied", "owner-vetted"],
          services.map((s) => [
            s.provider,
            s.url,
            zg(s.pricePerToken),
            s.occupied ? "yes" : "no",
            s.teeSignerAcknowledged ? "yes" : "no",
          ]),
        ),
    ),
).pipe(Command.withDescription("list fine-tuning providers"))

const models = Command.make("models", { provider: providerFlag.pipe(Flag.optional) }, ({ provider }) =>
  command(
    Option.none(),
    (m) => m.FineTuningProviders.use((p) => p.models(Option.getOrUndefined(provider))),
    modelsText,
  ),
).pipe(Command.withDescription("pre-trained models available for fine-tuning"))

const ackProvider = Command.make("ack-provider", { provider: providerFlag, ...ackFlags }, ({ provider, ...flags }) =>
  command(
    Option.none(),
    (m) =>
      Effect.gen(function* () {
        const options = yield* ackOptionsOf(flags)
        // The same attestation report as `inference ack` (DCAP, RTMR3 replay, pins, the devnet-chain rule).
        const { quoteAssessor } = yield* lazy.inference
        return yield* m.FineTuningProviders.use((p) => p.acknowledge(provider, { ...options, assess: quoteAssessor() }))
      }),
    providerAckText,
  ),
).pipe(
  Command.withDescription("verify the provider's attestation (as inference ack does), then acknowledge it on chain"),
)

const upload = Command.make(
  "upload",
  {
    provider: providerFlag,
    file: Argument.String("dataset").pipe(Argument.withDescription("dataset file (jsonl)")),
    indexer: indexerFlag,
  },
  ({ provider, file, indexer }) =>
    command(indexer, (m) => m.FineTuningFiles.use((f) => f.uploadDataset(provider, file)), uploadText),
).pipe(Command.withDescription("upload a dataset (to 0G Storage with --indexer, else the provider route)"))

const create = Command.make(
  "create",
  {
    ...trainingFlags,
    dataset: Flag.String("dataset").pipe(Flag.withDescription("dataset hash from `upload`")),
    // A negative count would lower the estimate below the storage fee (and below what the provider will charge).
    tokens: intFlagAtLeast("tokens", 0, "dataset token count for the fee estimate", "0 or more tokens").pipe(
      Flag.withDefault(0),
    ),
    maxFee: maxFeeFlag,
  },
  ({ provider, model, dataset, config, tokens, maxFee }) =>
    withFineTuning(Option.none(), (m, g) =>
      Effect.gen(function* () {
        const print = makePrinter(g.json)
        const say = yield* lineWriter(g.json)
        const trainingParams = yield* readConfig(config)
        const most = yield* optionalZG(maxFee)
        // The fee is printed before anything is funded or created.
        const onFee = (fee: Parameters<typeof feeText>[0]) => say(feeText(fee))
        const t = yield* m.FineTuningTasks.use((ts) =>
          ts.create({
            provider,
            model,
            datasetHash: dataset,
            trainingParams,
            tokens,
            onFee,
            ...(most === undefined ? {} : { maxFee: most }),
          }),
        )
        yield* print.result(t, () =>
          keyValues([
            ["task", t.taskId],
            ["model hash", t.modelHash],
            ["dataset", t.datasetHash],
            ["estimated fee", zg(t.estimatedFee)],
          ]),
        )
      }).pipe(Effect.scoped),
    ),
).pipe(Command.withDescription("create a fine-tuning task (funds the sub-account for the provider's fee)"))

const listTasks = Command.make("list-tasks", { provider: providerFlag }, ({ provider }) =>
  command(
    Option.none(),
    (m) => m.FineTuningTasks.use((t) => Effect.map(t.list(provider), (tasks) => ({ provider, tasks }))),
    (r) => tasksText(r.tasks),
  ),
).pipe(Command.withDescription("your tasks at a provider, newest state first"))

const watch = Command.make("watch", { provider: providerFlag, task: taskFlag }, ({ provider, task }) =>
  withFineTuning(Option.none(), (m, g) =>
    Effect.gen(function* () {
      const say = yield* lineWriter(g.json)
      const final = yield* m.FineTuningTasks.use((ts) =>
        ts.wait(provider, task, { onProgress: (t) => say(`progress: ${t.progress}`) }),
      )
      yield* makePrinter(g.json).result(final, () => `task ${task}: ${final.progress}`)
    }),
  ),
).pipe(Command.withDescription("follow a task until its model is delivered"))

const logs = Command.make("logs", { provider: providerFlag, task: taskFlag }, ({ provider, task }) =>
  command(
    Option.none(),
    (m) => m.FineTuningTasks.use((t) => t.log(provider, task)),
    (log) => String(log),
  ),
).pipe(Command.withDescription("the provider's training log"))

const cancel = Command.make("cancel", { provider: providerFlag, task: taskFlag }, ({ provider, task }) =>
  command(
    Option.none(),
    (m) => m.FineTuningTasks.use((t) => t.cancel(provider, task)),
    () => `task ${task} cancelled`,
  ),
).pipe(Command.withDescription("cancel a task that has not started training"))

const ackModel = Command.make(
  "ack-model",
  {
    provider: providerFlag,
    task: taskFlag,
    output: Flag.String("output").pipe(Flag.withDescription("where to keep the encrypted model"), Flag.optional),
    indexer: indexerFlag,
    noDownload: switchFlag(
      "without-download",
      "acknowledge WITHOUT verifying, only to unlock the queue before the penalty",
    ),
    overwrite: switchFlag("overwrite", "replace an existing --output file"),
  },
  ({ provider, task, output, indexer, noDownload, overwrite }) =>
    command(
      indexer,
      (m) =>
        Effect.gen(function* () {
          if (noDownload)
            return yield* m.FineTuningDeliverables.use((d) => d.acknowledgeWithoutDownload(provider, task))
          const outPath = Option.getOrElse(output, () => join(process.cwd(), `${task}.model.enc`))
          return yield* m.FineTuningFiles.use((f) => f.acknowledgeModel(provider, task, outPath, { overwrite }))
        }),
      modelAckText,
    ),
).pipe(Command.withDescription("download the model, verify root and TEE signature, then acknowledge it on chain"))

const decrypt = Command.make(
  "decrypt",
  {
    provider: providerFlag,
    task: taskFlag,
    input: Flag.String("encrypted").pipe(
      Flag.withDescription("the encrypted model file from ack-model"),
      Flag.optional,
    ),
    output: Flag.String("output").pipe(Flag.withDescription("where to write the decrypted model")),
    overwrite: switchFlag("overwrite", "replace an existing --output file"),
  },
  ({ provider, task, input, output, overwrite }) =>
    withErrors(
      Effect.gen(function* () {
        // Before any key or network: an existing output is never replaced silently.
        if (!overwrite && (yield* exists(output))) return yield* new OutputExists({ path: output })
        return yield* withFineTuning(Option.none(), (m, g) =>
          Effect.gen(function* () {
            const privateKey = yield* requireKey(g)
            yield* m.FineTuningDeliverables.use((d) => d.waitForSecret(provider, task))
            const result = yield* m.FineTuningFiles.use((f) =>
              f.decryptModel(provider, task, {
                outputPath: output,
                privateKey,
                ...(Option.isSome(input) ? { encryptedPath: input.value } : {}),
              }),
            )
            yield* makePrinter(g.json).result(result, () => decryptText(result))
          }),
        )
      }),
    ),
).pipe(Command.withDescription("unwrap the released key and decrypt the model (verified before it appears)"))

const run = Command.make(
  "run",
  {
    ...trainingFlags,
    dataset: Flag.String("dataset").pipe(Flag.withDescription("dataset file")),
    out: Flag.String("out").pipe(Flag.withDescription("output directory (holds the resumable state)")),
    indexer: indexerFlag,
    maxFee: maxFeeFlag,
  },
  ({ provider, dataset, model, config, out, indexer, maxFee }) =>
    withFineTuning(indexer, (m, g) =>
      Effect.gen(function* () {
        const say = yield* lineWriter(g.json)
        const privateKey = yield* requireKey(g)
        const trainingParams = yield* readConfig(config)
        const most = yield* optionalZG(maxFee)
        yield* Effect.tryPromise({
          try: () => mkdir(out, { recursive: true }),
          catch: (e) => new OutputDirUnwritable({ path: out, code: (e as NodeJS.ErrnoException).code }),
        })
        const result = yield* m.FineTuningFiles.use((f) =>
          f.run({
            provider,
            datasetPath: dataset,
            model,
            trainingParams,
            outputDir: out,
            privateKey,
            ...(most === undefined ? {} : { maxFee: most }),
            onEvent: (e) =>
              say(
                e.stage === "progress"
                  ? `progress: ${e.task.progress}`
                  : e.stage === "fee"
                    ? feeText(e.fee)
                    : `${e.stage}${"taskId" in e ? ` ${e.taskId}` : ""}`,
              ),
          }),
        )
        yield* makePrinter(g.json).result(result, () => runText(result))
      }),
    ),
).pipe(Command.withDescription("upload → create → wait → acknowledge → decrypt; rerun to resume"))

const pending = Command.make("pending", {}, () =>
  command(Option.none(), (m) => m.FineTuningDeliverables.use((d) => d.pending()), pendingText),
).pipe(Command.withDescription("deliverables waiting for your acknowledgement, with the time left before the penalty"))

export const fineTuningCommand = Command.make("fine-tuning").pipe(
  Command.withDescription("fine-tune models with verified, encrypted delivery"),
  Command.withSubcommands([
    list,
    models,
    ackProvider,
    upload,
    create,
    listTasks,
    watch,
    logs,
    cancel,
    ackModel,
    decrypt,
    run,
    pending,
  ]),
)
