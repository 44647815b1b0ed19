/**
 * Runs `0g-compute` for tests: in-process (the CLI's own program with argv, an environment and captured output — what
 * a command prints and its exit code, without a node process and a TypeScript load per run), or spawned as a user
 * would run it, for what only a real process shows (signals, argv of the binary, the bundle).
 */
import { spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { mkdtemp } from "node:fs/promises"
import type { Server } from "node:http"
import type { Server as NetServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { lateBound } from "@0g-compute/core/testing"
import type { Devnet, DevnetOptions } from "@0g-compute/devnet"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import { runInProcess } from "../cli.js"
import { makeIO } from "../io.js"

export const BIN = fileURLToPath(new URL("../../bin/0g-compute.mjs", import.meta.url))

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

export interface CliOnDevnet {
  /** The file's devnet; read through, so it may be taken before `beforeAll` started it and used in the tests. */
  readonly devnet: Devnet
  /** ZG_PRIVATE_KEY of the chosen devnet user and a config dir kept for the whole file (ZG_CONFIG_DIR). */
  readonly env: Record<string, string>
  /** `0g-compute --network <the devnet's RPC> …` in-process with `env`. */
  readonly cli: (args: ReadonlyArray<string>) => Promise<Run>
  /** `inference ack --provider <provider> --fund 2 --allow-devnet …extra`. */
  readonly ack: (provider: string, ...extra: ReadonlyArray<string>) => Promise<Run>
}

/**
 * Starts a devnet before the tests of the enclosing file or `describe` (before the hooks registered after this call)
 * and stops it after them; the CLI runs as devnet user `#user` (an index into `accounts.users`).
 */
export const useCliDevnet = (options: DevnetOptions, user: number): CliOnDevnet => {
  let started: Devnet | undefined
  const env: Record<string, string> = {}
  beforeAll(async () => {
    const { startDevnet } = await import("@0g-compute/devnet")
    started = await startDevnet(options)
    const account = started.accounts.users[user]
    if (account === undefined) throw new Error(`the devnet has no user #${user}`)
    env.ZG_PRIVATE_KEY = Redacted.value(account.privateKey)
    env.ZG_CONFIG_DIR = await mkdtemp(join(tmpdir(), "zg-cli-devnet-"))
  })
  afterAll(() => started?.stop())
  const devnet = lateBound(() => {
    if (started === undefined) throw new Error("the devnet is read before it has started")
    return started
  })
  const cli = (args: ReadonlyArray<string>) => runCli(["--network", devnet.rpcUrl, ...args], env)
  const ack = (provider: string, ...extra: ReadonlyArray<string>) =>
    cli(["inference", "ack", "--provider", provider, "--fund", "2", "--allow-devnet", ...extra])
  return { devnet, env, cli, ack }
}
