/**
 * Entry point of the `0g-compute` command: one invocation with the process's IO.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { program } from "./cli.js"
import { processIO } from "./io.js"

const io = processIO()

program(process.argv.slice(2), io).pipe(
  Effect.tap(() =>
    Effect.sync(() => {
      if (io.exitCode !== 0) process.exitCode = io.exitCode
    }),
  ),
  NodeRuntime.runMain({ disableErrorReporting: true }),
)
