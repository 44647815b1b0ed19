/** Spawns the real `0g-compute` binary, as a user would, and collects its output. */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

export const BIN = fileURLToPath(new URL("../bin/0g-compute.mjs", import.meta.url))

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export const runCli = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  new Promise<Run>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ZG_PRIVATE_KEY: undefined, ZG_KEYSTORE_PASSWORD: undefined, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (b: Buffer) => (stdout += b))
    child.stderr.on("data", (b: Buffer) => (stderr += b))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })
