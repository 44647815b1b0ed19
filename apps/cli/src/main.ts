/**
 * Entry point of the `0g-compute` command.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect, Layer } from "effect"
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
import { storageCommand } from "./commands/storage.js"
import { txCommand } from "./commands/tx.js"
import { presentationLayer } from "./presenter.js"

export const VERSION = "0.1.0"

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
  ]),
)

const services = (argv: ReadonlyArray<string>) => Layer.mergeAll(NodeServices.layer, presentationLayer(argv))

export const runCli = (argv: ReadonlyArray<string>) =>
  Command.runWith(cli, { version: VERSION })(argv).pipe(Effect.provide(services(argv)))

Command.run(cli, { version: VERSION }).pipe(
  Effect.provide(services(process.argv.slice(2))),
  NodeRuntime.runMain({ disableErrorReporting: true }),
)
