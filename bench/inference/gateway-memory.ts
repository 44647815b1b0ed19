/**
 * The gateway's memory under a hostile provider (issue 11: "a 400 MiB response took the gateway from 166 MB to
 * 1.4 GB"; target: under 200 MB). The devnet runs in a child process with its provider in the `hugeBody` mode (a
 * 400 MiB body without content-length) or `endlessStream`; `0g-compute inference serve` (the production bundle,
 * as users run it) is a second child. The bench sends chats through the gateway and reads the gateway process's
 * VmRSS while the hostile body flows and its VmHWM (peak resident set) at the end, from /proc (Linux only).
 *
 * Run: `tsx inference/gateway-memory.ts` (from bench/).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { bundleCli } from "../../apps/cli/scripts/bundle.js"
import { serve, startChild } from "./devnet-child.js"

const here = dirname(fileURLToPath(import.meta.url))
const cli = join(here, "../../apps/cli/dist/0g-compute.mjs")
const TOKEN = "bench-gateway-token-0123456789abcdef0123456789"

const status = (pid: number, field: "VmRSS" | "VmHWM"): number => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return m === null ? Number.NaN : Number(m[1]) / 1024
}

const run = (env: NodeJS.ProcessEnv, args: ReadonlyArray<string>) => {
  const r = spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, encoding: "utf8" })
  if (r.status !== 0) throw new Error(`0g-compute ${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  return r.stdout
}

/** Starts `inference serve` and resolves with its URL once it printed its JSON document. */
const startServe = async (env: NodeJS.ProcessEnv, args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, [cli, ...args], {
    env: { ...process.env, ...env, ZG_GATEWAY_TOKEN: TOKEN },
    stdio: ["ignore", "pipe", "inherit"],
  })
  // The document is pretty-printed: read lines until they parse.
  const doc = await new Promise<{ url: string }>((resolve, reject) => {
    let text = ""
    createInterface({ input: child.stdout! }).on("line", (line) => {
      text += `${line}\n`
      try {
        resolve(JSON.parse(text) as { url: string })
      } catch {}
    })
    child.once("exit", (code) => reject(new Error(`inference serve exited with ${code}`)))
  })
  return { child, url: doc.url }
}

const stopChild = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once("exit", () => resolve())
    child.kill("SIGINT")
  })

const main = async () => {
  await bundleCli()
  const devnet = await startChild(process.argv[1] ?? "")
  const { info } = devnet
  const env = { ZG_PRIVATE_KEY: info.userKeys[3] ?? "" }
  const net = ["--network", info.anvilUrl]
  const provider = info.provider.providerAddress
  run(env, [...net, "ledger", "add", "10"])
  run(env, [...net, "inference", "ack", "--provider", provider, "--allow-devnet", "--fund", "2"])
  await devnet.hostile("hugeBody")
  const gateway = await startServe(env, [...net, "--json", "inference", "serve", "--provider", provider, "--port", "0"])
  const pid = gateway.child.pid ?? 0
  console.log(`inference serve under a hostile provider (400 MiB body, endless stream), node ${process.version}`)
  try {
    const chat = async (stream: boolean) => {
      const before = status(pid, "VmRSS")
      let peak = before
      const sampler = setInterval(() => {
        peak = Math.max(peak, status(pid, "VmRSS"))
      }, 20)
      const t0 = performance.now()
      const r = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ model: info.provider.model, stream, messages: [{ role: "user", content: "hi" }] }),
        signal: AbortSignal.timeout(300_000),
      })
      const body = await r.text()
      clearInterval(sampler)
      const ms = performance.now() - t0
      const closed = await devnet.lastClose()
      console.log(
        `  ${(stream ? "stream" : "non-stream").padEnd(11)} HTTP ${r.status}  ${body.length.toString().padStart(7)} B to client  ` +
          `upstream sent ${(closed.bytesSent / 2 ** 20).toFixed(1).padStart(6)} MiB  RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} MB  ${ms.toFixed(0)} ms` +
          (r.status === 200 ? "" : `\n      ${body.slice(0, 300)}`),
      )
    }
    await chat(false)
    await chat(true)
    await devnet.hostile("endlessStream")
    await chat(true)
    const hwm = status(pid, "VmHWM")
    console.log(
      `gateway peak resident set (VmHWM): ${hwm.toFixed(0)} MB — target < 200 MB: ${hwm < 200 ? "met" : "NOT met"}`,
    )
  } finally {
    await stopChild(gateway.child)
    await Promise.race([devnet.stop(), new Promise((r) => setTimeout(r, 5000))])
  }
}

if (process.argv[2] === "serve") await serve()
else {
  await main()
  process.exit(0)
}
