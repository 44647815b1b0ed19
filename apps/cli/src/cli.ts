/**
 * The `0g-compute` command tree and how one invocation runs: with the process's IO (main.ts) or in-process with a
 * test's own (captured output, its own environment).
 */
import { Console as NodeConsole } from "node:console"
import { Writable } from "node:stream"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { ConfigProvider, Console, Effect, Exit, Layer } from "effect"
import { Command } from "effect/cli"
import { devnetCommand } from "./commands/devnet.js"
import { doctorCommand } from "./commands/doctor.js"
import { fineTuningCommand } from "./commands/fine-tuning.js"
import { inferenceCommand } from "./commands/inference.js"
import { journeyCommand } from "./commands/journey.js"
import { keysCommand } from "./commands/keys.js"
import { ledgerCommand } from "./commands/ledger.js"
import { profileCommand } from "./commands/profile.js"
import { root } from "./commands/root.js"
import { routerCommand } from "./commands/router.js"
import { storageCommand } from "./commands/storage.js"
import { txCommand } from "./commands/tx.js"
import { CliIO, type CliIOShape } from "./io.js"
import { presentationLayer } from "./presenter.js"
import { VERSION } from "./version.js"

export const cli = root.pipe(
  Command.withSubcommands([
    devnetCommand,
    ledgerCommand,
    txCommand,
    inferenceCommand,
    fineTuningCommand,
    storageCommand,
    keysCommand,
    profileCommand,
    doctorCommand,
    journeyCommand,
    routerCommand,
  ]),
)

const sink = (write: (s: string) => void) =>
  new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      write(String(chunk))
      done()
    },
  })

/** Effect's Console (help, flag errors) writing where this invocation's output goes. */
const consoleOf = (io: CliIOShape): Console.Console =>
  new NodeConsole({ stdout: sink(io.stdout), stderr: sink(io.stderr) }) as unknown as Console.Console

const definedEnv = (env: CliIOShape["env"]) => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v
  return out
}

const services = (argv: ReadonlyArray<string>, io: CliIOShape) =>
  Layer.mergeAll(
    NodeServices.layer,
    presentationLayer(argv, io),
    ConfigProvider.layer(ConfigProvider.fromEnv({ env: definedEnv(io.env) })),
    Layer.succeed(CliIO, io),
    Layer.succeed(Console.Console, consoleOf(io)),
  )

/** One invocation; fails (after printing) when the command or its flags failed. */
export const program = (argv: ReadonlyArray<string>, io: CliIOShape) =>
  Command.runWith(cli, { version: VERSION })(argv).pipe(Effect.provide(services(argv, io)))

/** One invocation in-process: its exit code (1 for any failure, already printed to `io.stderr`). */
export const runInProcess = (argv: ReadonlyArray<string>, io: CliIOShape): Effect.Effect<number> =>
  Effect.map(Effect.exit(program(argv, io)), (exit) => (Exit.isSuccess(exit) ? io.exitCode : 1))
