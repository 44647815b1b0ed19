/**
 * One invocation's world: its environment variables, where stdout and stderr go, whether stdin is a terminal, its exit
 * code, and the state that lives exactly as long as the invocation (unlocked keys, the RPC errors are worded for).
 * The binary runs with the process's; tests run commands in-process with their own (captured output, their own env),
 * several at once, without touching `process`.
 */
import { Context, type Option, type Redacted } from "effect"
import type { FailureContext } from "./failure.js"

export interface CliIOShape {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly stdinIsTTY: boolean
  readonly stdoutIsTTY: boolean
  readonly stderrIsTTY: boolean
  /** The exit code when the command succeeds (doctor exits 1 on a failed check). */
  exitCode: number
  /** Keys read this invocation: a pipe (`--key-file <(…)`) can be read only once, and a password prompt answered once. */
  readonly keys: Map<string, Option.Option<Redacted.Redacted<string>>>
  /** The RPC in effect, for the error printer (set once the global flags and the profile are resolved). */
  failureContext: FailureContext
}

export const makeIO = (options: {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly stdinIsTTY?: boolean
  readonly stdoutIsTTY?: boolean
  readonly stderrIsTTY?: boolean
}): CliIOShape => ({
  stdinIsTTY: false,
  stdoutIsTTY: false,
  stderrIsTTY: false,
  ...options,
  exitCode: 0,
  keys: new Map(),
  failureContext: {},
})

export const processIO = (): CliIOShape =>
  makeIO({
    env: process.env,
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
  })

/** The invocation's IO; without one provided, the process's (created once). */
export const CliIO = Context.Reference<CliIOShape>("zg/cli/CliIO", { defaultValue: processIO })
