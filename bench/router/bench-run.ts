/**
 * What every router bench script does around its measurements: the devnet in a child process, a client funded and
 * acknowledged to the devnet's provider, a scratch directory, all taken down again however the run ends. A script is
 * also its own devnet child and router child; `runBenchScript` picks the role from argv.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Ledger } from "@0g-compute/contracts"
import { createInferenceClient, type InferenceClient } from "@0g-compute/inference"
import { type DevnetInfo, serve, startChild } from "../inference/devnet-child.js"
import { serveRouter, treeOf } from "./procs.js"

export interface BenchDevnet {
  readonly info: DevnetInfo
  readonly provider: string
  /** The RPC path our own clients use (the official SDK gets its own, so each side's calls are counted apart). */
  readonly rpcUrl: string
  readonly privateKey: string
  readonly client: InferenceClient
  /** Scratch directory, removed after the run. */
  readonly tmp: string
  /** The devnet child and everything below it (anvil). */
  readonly devnetPids: ReadonlyArray<number>
  /** A chat body for request i. */
  readonly chat: (i: number) => string
  /** Chat i straight to the provider through `client.fetch` (verified), no router: the baseline. */
  readonly viaDirect: (i: number) => Promise<void>
}

export const withBenchDevnet = async (name: string, body: (run: BenchDevnet) => Promise<void>) => {
  const child = await startChild(process.argv[1] ?? "")
  const devnetPids = treeOf(process.pid).filter((p) => p !== process.pid)
  const { info } = child
  const provider = info.provider.providerAddress
  const rpcUrl = `${info.proxyUrl}/ours`
  const privateKey = info.userKeys[0] ?? ""
  const client = await createInferenceClient({ privateKey, rpcUrl, network: "devnet" })
  const tmp = mkdtempSync(join(tmpdir(), `zg-${name}-`))
  const chat = (i: number) =>
    JSON.stringify({ model: info.provider.model, messages: [{ role: "user", content: `${name} ${i}` }] })
  const direct = client.fetch(provider)
  const viaDirect = async (i: number) => {
    const r = await direct(`${info.provider.url}/v1/proxy/chat/completions`, { method: "POST", body: chat(i) })
    if (r.status !== 200) throw new Error(`provider answered ${r.status}`)
    await r.arrayBuffer()
  }
  try {
    await client.run(Ledger.use((l) => l.add(10n ** 20n)))
    await client.acknowledge(provider, { allowDevnet: true, fund: "50" })
    await body({ info, provider, rpcUrl, privateKey, client, tmp, devnetPids, chat, viaDirect })
  } finally {
    await client.close()
    rmSync(tmp, { recursive: true, force: true })
    // Bounded: a devnet child that is already gone must not hold the script open.
    await Promise.race([child.stop(), new Promise((r) => setTimeout(r, 5000))])
  }
}

/** Runs `main`, or the role argv[2] names (`serve`: the devnet child, `router`: a router child, or one of `roles`). */
export const runBenchScript = async (main: () => Promise<void>, roles: Record<string, () => unknown> = {}) => {
  const role = process.argv[2] ?? ""
  if (role === "serve") await serve()
  else if (role === "router") await serveRouter()
  else if (roles[role] !== undefined) await roles[role]()
  else {
    await main()
    process.exit(0)
  }
}
