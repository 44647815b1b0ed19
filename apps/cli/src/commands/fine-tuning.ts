/**
 * `0g-compute fine-tuning list|models|ack-provider|upload|create|list-tasks|watch|logs|cancel|ack-model|decrypt|run|
 * pending`:
 * thin over @0g-compute/fine-tuning's Promise facade. Nothing is acknowledged unless the model verifies.
 */
import { lstat, mkdir } from "node:fs/promises"
import { parseZG } from "@0g-compute/core"
import { Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { OutputExists } from "../failure.js"
import * as lazy from "../lazy.js"
import { keyValues, makePrinter, table, zg } from "../output.js"
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
import { call, fineTuningClient, indexerFlag, providerFlag, readConfig, taskFlag } from "./fine-tuning-shared.js"
import { globals, withErrors } from "./root.js"

/** Whether anything (a file, a link, a device) already has this name. */
const exists = (path: string) =>
  Effect.promise(() =>
    lstat(path).then(
      () => true,
      () => false,
    ),
  )

/** Runs `f` with a client and prints its result as JSON or through `human`. */
const command = <A>(
  indexer: Option.Option<string>,
  f: (c: Effect.Success<ReturnType<typeof fineTuningClient>>) => Effect.Effect<A, unknown>,
  human: (a: A) => string,
) =>
  withErrors(
    Effect.gen(function* () {
      const g = yield* globals
      const c = yield* fineTuningClient(indexer)
      const result = yield* f(c)
      yield* makePrinter(g.json).result(result, () => human(result))
    }).pipe(Effect.scoped),
  )

const list = Command.make(
  "list",
  {
    all: Flag.Boolean("all").pipe(
      Flag.withDescription("include providers the owner has not vetted"),
      Flag.withDefault(false),
    ),
  },
  ({ all }) =>
    command(
      Option.none(),
      (c) => call(() => c.listServices({ includeUnvetted: all })),
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
  command(Option.none(), (c) => call(() => c.listModels(Option.getOrUndefined(provider))), modelsText),
).pipe(Command.withDescription("pre-trained models available for fine-tuning"))

const ackProvider = Command.make(
  "ack-provider",
  {
    provider: providerFlag,
    fund: Flag.String("fund").pipe(Flag.withDescription("open the sub-account with this many 0G"), Flag.optional),
    allowDevnet: Flag.Boolean("allow-devnet").pipe(
      Flag.withDescription("accept a devnet (emulated) quote"),
      Flag.withDefault(false),
    ),
    allowUnverified: Flag.Boolean("allow-unverified").pipe(
      Flag.withDescription("accept a provider whose checks fail"),
      Flag.withDefault(false),
    ),
    expectCompose: Flag.String("expect-compose").pipe(
      Flag.withDescription("refuse unless the attested compose hash (sha256 of app_compose) is this"),
      Flag.optional,
    ),
    expectImage: Flag.String("expect-image").pipe(
      Flag.withDescription("refuse unless the attested compose runs this image digest (sha256:…) or reference"),
      Flag.optional,
    ),
  },
  ({ provider, fund, allowDevnet, allowUnverified, expectCompose, expectImage }) =>
    command(
      Option.none(),
      (c) =>
        Effect.gen(function* () {
          const amount = Option.isSome(fund) ? yield* parseZG(fund.value) : undefined
          // The same attestation report as `inference ack` (DCAP, RTMR3 replay, pins, the devnet-chain rule).
          const { quoteAssessor } = yield* lazy.inference
          const options = {
            allowDevnet,
            allowUnverified,
            assess: quoteAssessor(),
            ...(Option.isSome(expectCompose) ? { expectComposeHash: expectCompose.value } : {}),
            ...(Option.isSome(expectImage) ? { expectImage: expectImage.value } : {}),
            ...(amount === undefined ? {} : { fund: amount }),
          }
          return yield* call(() => c.acknowledgeProvider(provider, options))
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
  ({ provider, file, indexer }) => command(indexer, (c) => call(() => c.uploadDataset(provider, file)), uploadText),
).pipe(Command.withDescription("upload a dataset (to 0G Storage with --indexer, else the provider route)"))

const create = Command.make(
  "create",
  {
    provider: providerFlag,
    model: Flag.String("model").pipe(Flag.withDescription("pre-trained model name or hash")),
    dataset: Flag.String("dataset").pipe(Flag.withDescription("dataset hash from `upload`")),
    config: Flag.String("config").pipe(Flag.withDescription("training config JSON file")),
    tokens: Flag.Int("tokens").pipe(
      Flag.withDescription("dataset token count for the fee estimate"),
      Flag.withDefault(0),
    ),
  },
  ({ provider, model, dataset, config, tokens }) =>
    withErrors(
      Effect.gen(function* () {
        const print = makePrinter((yield* globals).json)
        const c = yield* fineTuningClient(Option.none())
        const trainingParams = yield* readConfig(config)
        // The fee is printed before anything is funded or created.
        const onFee = (fee: Parameters<typeof feeText>[0]) => Effect.runSync(print.line(feeText(fee)))
        const t = yield* call(() =>
          c.createTask({ provider, model, datasetHash: dataset, trainingParams, tokens, onFee }),
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
    (c) =>
      Effect.map(
        call(() => c.listTasks(provider)),
        (tasks) => ({ provider, tasks }),
      ),
    (r) => tasksText(r.tasks),
  ),
).pipe(Command.withDescription("your tasks at a provider, newest state first"))

const watch = Command.make("watch", { provider: providerFlag, task: taskFlag }, ({ provider, task }) =>
  withErrors(
    Effect.gen(function* () {
      const g = yield* globals
      const c = yield* fineTuningClient(Option.none())
      const print = makePrinter(g.json)
      const final = yield* call(() =>
        c.watch(provider, task, { onProgress: (t) => void Effect.runSync(print.line(`progress: ${t.progress}`)) }),
      )
      yield* print.result(final, () => `task ${task}: ${final.progress}`)
    }).pipe(Effect.scoped),
  ),
).pipe(Command.withDescription("follow a task until its model is delivered"))

const logs = Command.make("logs", { provider: providerFlag, task: taskFlag }, ({ provider, task }) =>
  command(
    Option.none(),
    (c) => call(() => c.getLog(provider, task)),
    (log) => String(log),
  ),
).pipe(Command.withDescription("the provider's training log"))

const cancel = Command.make("cancel", { provider: providerFlag, task: taskFlag }, ({ provider, task }) =>
  command(
    Option.none(),
    (c) => call(() => c.cancelTask(provider, task)),
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
    noDownload: Flag.Boolean("without-download").pipe(
      Flag.withDescription("acknowledge WITHOUT verifying, only to unlock the queue before the penalty"),
      Flag.withDefault(false),
    ),
  },
  ({ provider, task, output, indexer, noDownload }) =>
    command(
      indexer,
      (c) =>
        noDownload
          ? call(() => c.acknowledgeWithoutDownload(provider, task))
          : call(() => c.acknowledgeModel(provider, task, Option.isSome(output) ? { output: output.value } : {})),
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
    overwrite: Flag.Boolean("overwrite").pipe(
      Flag.withDescription("replace an existing --output file"),
      Flag.withDefault(false),
    ),
  },
  ({ provider, task, input, output, overwrite }) =>
    withErrors(
      Effect.gen(function* () {
        // Before any key or network: an existing output is never replaced silently.
        if (!overwrite && (yield* exists(output))) return yield* new OutputExists({ path: output })
        const g = yield* globals
        const c = yield* fineTuningClient(Option.none())
        yield* call(() => c.waitForSecret(provider, task))
        const result = yield* call(() =>
          c.decryptModel(provider, task, { output, ...(Option.isSome(input) ? { encryptedPath: input.value } : {}) }),
        )
        yield* makePrinter(g.json).result(result, () => decryptText(result))
      }).pipe(Effect.scoped),
    ),
).pipe(Command.withDescription("unwrap the released key and decrypt the model (verified before it appears)"))

const run = Command.make(
  "run",
  {
    provider: providerFlag,
    dataset: Flag.String("dataset").pipe(Flag.withDescription("dataset file")),
    model: Flag.String("model").pipe(Flag.withDescription("pre-trained model name")),
    config: Flag.String("config").pipe(Flag.withDescription("training config JSON file")),
    out: Flag.String("out").pipe(Flag.withDescription("output directory (holds the resumable state)")),
    indexer: indexerFlag,
  },
  ({ provider, dataset, model, config, out, indexer }) =>
    withErrors(
      Effect.gen(function* () {
        const g = yield* globals
        const c = yield* fineTuningClient(indexer)
        const print = makePrinter(g.json)
        const trainingParams = yield* readConfig(config)
        yield* call(() => mkdir(out, { recursive: true }), `creating ${out}`)
        const result = yield* call(() =>
          c.run({
            provider,
            datasetPath: dataset,
            model,
            trainingParams,
            outputDir: out,
            onEvent: (e) =>
              Effect.runSync(
                print.line(
                  e.stage === "progress"
                    ? `progress: ${e.task.progress}`
                    : e.stage === "fee"
                      ? feeText(e.fee)
                      : `${e.stage}${"taskId" in e ? ` ${e.taskId}` : ""}`,
                ),
              ),
          }),
        )
        yield* print.result(result, () => runText(result))
      }).pipe(Effect.scoped),
    ),
).pipe(Command.withDescription("upload → create → wait → acknowledge → decrypt; rerun to resume"))

const pending = Command.make("pending", {}, () =>
  command(Option.none(), (c) => call(() => c.pendingDeliverables()), pendingText),
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
