/** Spawns the real `0g-compute` binary, as a user would, and collects its output. */
import { spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

export const BIN = fileURLToPath(new URL("../bin/0g-compute.mjs", import.meta.url))

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Each run gets its own empty config dir unless the test passes `ZG_CONFIG_DIR`: no test reads or writes the user's
 * ~/.config/0g-compute (keystore, profiles, the shared tx-journal.json), and parallel test processes share nothing.
 */
const isolated = (env: Record<string, string | undefined>) =>
  "ZG_CONFIG_DIR" in env ? env : { ...env, ZG_CONFIG_DIR: mkdtempSync(join(tmpdir(), "zg-cli-test-")) }

export const runCli = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  new Promise<Run>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ZG_PRIVATE_KEY: undefined, ZG_KEYSTORE_PASSWORD: undefined, ...isolated(env) },
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (b: Buffer) => (stdout += b))
    child.stderr.on("data", (b: Buffer) => (stderr += b))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })
