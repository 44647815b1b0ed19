/**
 * Bench helper: the devnet (anvil + emulated provider) in a child process, so its CPU work does not share the event
 * loop with the client being measured. The child prints one JSON line with what the client needs.
 */
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { startDevnet } from "@0g-compute/devnet"
import { Redacted } from "effect"

export interface DevnetInfo {
  readonly rpcUrl: string
  readonly chainId: string
  readonly addresses: { ledger: string; inference: string; fineTuning: string }
  readonly provider: { url: string; providerAddress: string; model: string }
  readonly userKey: string
}

/** Child: start the devnet, print what the client needs, run until stdin closes. */
export const serve = async () => {
  const devnet = await startDevnet({ inference: { settleIntervalMs: 0 } })
  const p = devnet.inference[0]
  const u = devnet.accounts.users[0]
  if (p === undefined || u === undefined) throw new Error("devnet without provider or user")
  const info: DevnetInfo = {
    rpcUrl: devnet.rpcUrl,
    chainId: devnet.chainId.toString(),
    addresses: devnet.addresses,
    provider: { url: p.url, providerAddress: p.providerAddress, model: p.model },
    userKey: Redacted.value(u.privateKey),
  }
  process.stdout.write(`${JSON.stringify(info)}\n`)
  process.stdin.resume()
  process.stdin.on("end", () => void devnet.stop().then(() => process.exit(0)))
}

export const startChild = async (script: string) => {
  const child = spawn(process.execPath, [...process.execArgv, script, "serve"], { stdio: ["pipe", "pipe", "inherit"] })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve)
    child.once("exit", (code) => reject(new Error(`devnet child exited with ${code}`)))
  })
  return { info: JSON.parse(line) as DevnetInfo, stop: () => child.stdin.end() }
}
