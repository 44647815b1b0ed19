/**
 * `0g-compute inference adapters list|status|deploy`: LoRA adapters of fine-tuned tasks on an inference provider.
 * A deployed adapter is chatted with by naming it as the model (`inference chat --model ft-…`, or the gateway).
 */
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { keyValues, makePrinter, table } from "../output.js"
import { providerFlag } from "./flags.js"
import { withInference } from "./inference-shared.js"
import { switchFlag } from "./root.js"

/** The task an adapter was trained by (`deploy`; `status` takes them instead of --name). */
const taskFlags = {
  taskId: Flag.String("task-id").pipe(Flag.withDescription("the fine-tuning task whose model was acknowledged")),
  baseModel: Flag.String("base-model").pipe(Flag.withDescription("the model the task fine-tuned (e.g. Qwen2.5-0.5B)")),
}

const list = Command.make("list", { provider: providerFlag }, ({ provider }) =>
  withInference((m, g) =>
    Effect.gen(function* () {
      const adapters = yield* m.listAdapters(provider)
      yield* makePrinter(g.json).result({ provider, adapters }, () =>
        adapters.length === 0
          ? "no adapters on this provider"
          : table(
              ["adapter", "state", "base model", "task", "owner"],
              adapters.map((a) => [a.adapterName, a.state, a.baseModel ?? "", a.taskId ?? "", a.userAddress ?? ""]),
            ),
      )
    }),
  ),
).pipe(Command.withDescription("list the LoRA adapters a provider knows"))

const status = Command.make(
  "status",
  {
    provider: providerFlag,
    name: Flag.String("name").pipe(Flag.withDescription("adapter name (ft-…)"), Flag.optional),
    taskId: taskFlags.taskId.pipe(Flag.optional),
    baseModel: taskFlags.baseModel.pipe(Flag.optional),
  },
  ({ provider, name, taskId, baseModel }) =>
    withInference((m, g) =>
      Effect.gen(function* () {
        const adapter = Option.isSome(name)
          ? name.value
          : m.adapterName(
              Option.getOrElse(baseModel, () => ""),
              Option.getOrElse(taskId, () => ""),
            )
        const info = yield* m.adapterStatus(provider, adapter)
        yield* makePrinter(g.json).result(info, () =>
          keyValues([
            ["adapter", info.adapterName],
            ["state", info.state],
            ["base model", info.baseModel ?? ""],
            ["task", info.taskId ?? ""],
            ...(info.error === undefined ? [] : ([["error", info.error]] as Array<[string, string]>)),
          ]),
        )
      }),
    ),
).pipe(Command.withDescription("show one adapter's state (by --name, or by --task-id and --base-model)"))

const deploy = Command.make(
  "deploy",
  {
    provider: providerFlag,
    ...taskFlags,
    wait: switchFlag("wait", "wait until the adapter is active"),
    timeout: Flag.Int("timeout").pipe(Flag.withDescription("seconds to wait (default 120)"), Flag.withDefault(120)),
  },
  ({ provider, taskId, baseModel, wait, timeout }) =>
    withInference((m, g) =>
      Effect.gen(function* () {
        const out = makePrinter(g.json)
        const deployed = yield* m.deployAdapter(provider, { taskId, baseModel })
        if (!wait) {
          return yield* out.result(deployed, () => `${deployed.adapterName}: ${deployed.status}. ${deployed.message}`)
        }
        const active = yield* m.waitForAdapter(provider, deployed.adapterName, { timeoutMs: timeout * 1000 })
        yield* out.result(
          { ...deployed, state: active.state },
          () => `${active.adapterName} is active: chat with it as --model ${active.adapterName}`,
        )
      }),
    ),
).pipe(Command.withDescription("deploy a fine-tuned task's LoRA adapter to the provider"))

export const adaptersCommand = Command.make("adapters").pipe(
  Command.withDescription("LoRA adapters of fine-tuned tasks on inference providers"),
  Command.withSubcommands([list, status, deploy]),
)
