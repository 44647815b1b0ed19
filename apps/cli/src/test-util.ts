/**
 * Runs `0g-compute` for tests: in-process (the CLI's own program with argv, an environment and captured output — what
 * a command prints and its exit code, without a node process and a TypeScript load per run), or spawned as a user
 * would run it, for what only a real process shows (signals, argv of the binary, the bundle).
 */
import { spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import type { Server } from "node:http"
import { createServer, type Server as NetServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { runInProcess } from "./cli.js"
import { makeIO } from "./io.js"

export const BIN = fileURLToPath(new URL("../bin/0g-compute.mjs", import.meta.url))

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Each run gets its own empty config dir unless the test passes `ZG_CONFIG_DIR`: no test reads or writes the user's
 * ~/.config/0g-compute (keystore, profiles, the shared tx-journal.json), and parallel runs share nothing.
 */
const isolated = (env: Record<string, string | undefined>) =>
  "ZG_CONFIG_DIR" in env ? env : { ...env, ZG_CONFIG_DIR: mkdtempSync(join(tmpdir(), "zg-cli-test-")) }

const environment = (env: Record<string, string | undefined>) => ({
  ...process.env,
  ZG_PRIVATE_KEY: undefined,
  ZG_KEYSTORE_PASSWORD: undefined,
  ...isolated(env),
})

/** One invocation in this process: no terminal, its own env, stdout and stderr captured, the exit code it would have. */
export const runCli = async (
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined> = {},
): Promise<Run> => {
  let stdout = ""
  let stderr = ""
  const io = makeIO({
    env: environment(env),
    stdout: (s) => {
      stdout += s
    },
    stderr: (s) => {
      stderr += s
    },
  })
  const code = await Effect.runPromise(runInProcess(args, io))
  return { code, stdout, stderr }
}

/** The real binary in a child process. */
export const spawnCli = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  new Promise<Run>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: environment(env), stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (b: Buffer) => (stdout += b))
    child.stderr.on("data", (b: Buffer) => (stderr += b))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** Listens on a port the system picks on 127.0.0.1; resolves with it. */
export const listen = (server: NetServer | Server) =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port))
  })

/** A port that was free a moment ago (bound, then released), for a process that must be told its port. */
export const freePort = async () => {
  const server = createServer()
  const port = await listen(server)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
