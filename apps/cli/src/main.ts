/**
 * Entry point of the `0g-compute` command.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { Command } from "effect/cli"
import { devnetCommand } from "./commands/devnet.js"
import { root } from "./commands/root.js"

export const VERSION = "0.1.0"

export const cli = root.pipe(Command.withSubcommands([devnetCommand]))

export const runCli = (argv: ReadonlyArray<string>) =>
  Command.runWith(cli, { version: VERSION })(argv).pipe(Effect.provide(NodeServices.layer))

Command.run(cli, { version: VERSION }).pipe(
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain({ disableErrorReporting: true }),
)
