/**
 * Bench helper: the devnet (anvil + emulated provider) and a counting JSON-RPC proxy in a child process, so their CPU
 * work does not share the event loop with the clients being measured.
 *
 * The proxy listens on 127.0.0.1 in front of anvil and forwards every POST byte-for-byte (counting, not mocking). The
 * first path segment names the client (`/ours`, `/official`), so each client's JSON-RPC requests are counted apart
 * (a batch counts as its number of entries). `GET /__count` answers `{ ours: n, official: n, ... }`.
 * The child prints one JSON line with what the clients need and runs until stdin closes. For the hostile benches,
 * `GET /__hostile/<mode>` switches the provider's hostile mode and `GET /__close` answers, once the next hostile
 * response has ended, how it ended.
 */
import { spawn } from "node:child_process"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { createInterface } from "node:readline"
import { type HostileClose, type HostileMode, startDevnet } from "@0g-compute/devnet"
import { Redacted } from "effect"

export interface DevnetInfo {
  readonly anvilUrl: string
  readonly proxyUrl: string
  readonly chainId: string
  readonly addresses: { ledger: string; inference: string; fineTuning: string }
  readonly provider: { url: string; providerAddress: string; model: string }
  readonly userKeys: ReadonlyArray<string>
}

interface Control {
  readonly hostile: (mode: HostileMode) => void
  readonly nextClose: () => Promise<HostileClose>
}

const startCountingProxy = async (target: string, control: Control) => {
  const counts: Record<string, number> = {}
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const [, tag = "untagged", arg] = (req.url ?? "/").split("/")
      const json = (value: unknown) =>
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(value))
      if (req.method === "GET" && tag === "__count") return json(counts)
      if (req.method === "GET" && tag === "__hostile") return json(control.hostile(arg as HostileMode) ?? null)
      if (req.method === "GET" && tag === "__close") return void control.nextClose().then(json)
      const body = Buffer.concat(chunks)
      try {
        const parsed = JSON.parse(body.toString("utf8")) as unknown
        counts[tag] = (counts[tag] ?? 0) + (Array.isArray(parsed) ? parsed.length : 1)
      } catch {
        counts[tag] = (counts[tag] ?? 0) + 1
      }
      fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body })
        .then(async (r) => {
          const out = Buffer.from(await r.arrayBuffer())
          res.writeHead(r.status, { "content-type": "application/json" }).end(out)
        })
        .catch((e: unknown) => res.writeHead(502).end(String(e)))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() }
}

/** Child: start the devnet and the proxy, print what the clients need, run until stdin closes. */
export const serve = async () => {
  const devnet = await startDevnet({ inference: { settleIntervalMs: 0 } })
  const p = devnet.inference[0]
  if (p === undefined || devnet.accounts.users.length < 2) throw new Error("devnet without provider or two users")
  let closes = p.faults.hostile.closes.length
  const proxy = await startCountingProxy(devnet.rpcUrl, {
    hostile: (mode) => p.faults.set({ hostile: mode }),
    nextClose: () => p.faults.hostile.nextClose(closes++),
  })
  const info: DevnetInfo = {
    anvilUrl: devnet.rpcUrl,
    proxyUrl: proxy.url,
    chainId: devnet.chainId.toString(),
    addresses: devnet.addresses,
    provider: { url: p.url, providerAddress: p.providerAddress, model: p.model },
    userKeys: devnet.accounts.users.map((u) => Redacted.value(u.privateKey)),
  }
  process.stdout.write(`${JSON.stringify(info)}\n`)
  process.stdin.resume()
  process.stdin.on("end", () => {
    proxy.close()
    void devnet.stop().then(() => process.exit(0))
  })
}

export const startChild = async (script: string) => {
  const child = spawn(process.execPath, [...process.execArgv, script, "serve"], { stdio: ["pipe", "pipe", "inherit"] })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve)
    child.once("exit", (code) => reject(new Error(`devnet child exited with ${code}`)))
  })
  const info = JSON.parse(line) as DevnetInfo
  const get = async (path: string) => (await fetch(`${info.proxyUrl}${path}`)).json()
  return {
    info,
    counts: async () => (await get("/__count")) as Record<string, number>,
    /** Switches the provider's hostile mode (its chats are then answered in that way). */
    hostile: async (mode: HostileMode) => void (await get(`/__hostile/${mode}`)),
    /** How the next hostile response (counting from the previous call) ended. */
    lastClose: async () => (await get("/__close")) as HostileClose,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve())
        child.stdin.end()
      }),
  }
}
