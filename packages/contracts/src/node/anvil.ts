import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { createServer } from "node:net"
import { dirname, join } from "node:path"

export interface StartAnvilOptions {
  /** Fixed port; by default a free one is picked (and re-picked if another process grabs it first). */
  readonly port?: number
  /** Default 31337 (the chain id the SDK's hardhat addresses belong to). */
  readonly chainId?: number
  /** Seconds per block; default automine (one block per transaction). */
  readonly blockTime?: number
  /** Number of dev accounts; default 10. */
  readonly accounts?: number
  /** Balance of each dev account in ETH; default 10000. */
  readonly balanceEth?: number
  readonly extraArgs?: readonly string[]
}

export interface AnvilInstance {
  readonly rpcUrl: string
  readonly port: number
  readonly chainId: number
  readonly process: ChildProcess
  /** Kills anvil and resolves once the process has exited. Idempotent. */
  stop(): Promise<void>
}

/** Anvil's default mnemonic, i.e. hardhat's: account #0 is 0xf39F…2266. */
export const TEST_MNEMONIC = "test test test test test test test test test test test junk"

const HOST = "127.0.0.1"
const PORT_ATTEMPTS = 5
const READY_TIMEOUT_MS = 20_000

/** Path of the anvil binary shipped in @foundry-rs/anvil's platform package. */
export function resolveAnvilBinary(): string {
  const require = createRequire(import.meta.url)
  const wrapperPkg = require.resolve("@foundry-rs/anvil/package.json")
  const arch = process.arch === "x64" ? "amd64" : process.arch
  const platformPkg = `@foundry-rs/anvil-${process.platform}-${arch}`
  let pkgJson: string
  try {
    pkgJson = createRequire(wrapperPkg).resolve(`${platformPkg}/package.json`)
  } catch (cause) {
    throw new Error(
      `anvil binary package ${platformPkg} is not installed (platform ${process.platform}/${process.arch}); ` +
        "reinstall with optional dependencies enabled",
      { cause },
    )
  }
  const bin = join(dirname(pkgJson), "bin", process.platform === "win32" ? "anvil.exe" : "anvil")
  if (!existsSync(bin)) throw new Error(`anvil binary missing at ${bin}`)
  return bin
}

/** Starts anvil on 127.0.0.1 and resolves once it answers JSON-RPC. */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<AnvilInstance> {
  const bin = resolveAnvilBinary()
  const chainId = options.chainId ?? 31337
  let lastError: unknown
  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort())
    try {
      return await launch(bin, port, chainId, options)
    } catch (error) {
      lastError = error
      // only a lost port race is worth another try
      if (!(error instanceof AnvilStartError && error.addressInUse)) break
    }
  }
  throw lastError
}

class AnvilStartError extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message)
    this.name = "AnvilStartError"
  }
}

// Every live instance, so a crashing test process does not leave anvil behind.
const live = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  live.add(child)
  child.once("exit", () => live.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once("exit", () => {
      for (const c of live) c.kill("SIGKILL")
    })
  }
}

async function launch(bin: string, port: number, chainId: number, options: StartAnvilOptions): Promise<AnvilInstance> {
  const args = [
    "--host",
    HOST,
    "--port",
    String(port),
    "--chain-id",
    String(chainId),
    "--mnemonic",
    TEST_MNEMONIC,
    "--accounts",
    String(options.accounts ?? 10),
    "--balance",
    String(options.balanceEth ?? 10_000),
  ]
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime))
  if (options.extraArgs) args.push(...options.extraArgs)

  // Not --silent: the "Listening on" line is printed only after *this* process bound the port, whereas an RPC
  // poll could be answered by another node that already holds it. Later output is drained and dropped.
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] })
  track(child)
  const rpcUrl = `http://${HOST}:${port}`
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
    await exited
  }

  let stderr = ""
  child.stderr?.setEncoding("utf8")
  child.stderr?.on("data", (chunk: string) => {
    if (stderr.length < 8192) stderr += chunk
  })

  try {
    await new Promise<void>((resolve, reject) => {
      let stdout = ""
      const marker = `Listening on ${HOST}:${port}`
      const onData = (chunk: string): void => {
        stdout += chunk
        if (stdout.includes(marker)) {
          child.stdout?.off("data", onData)
          child.stdout?.resume()
          cleanup()
          resolve()
        } else if (stdout.length > 65_536) {
          stdout = stdout.slice(-1024)
        }
      }
      const onExit = (): void => {
        cleanup()
        const inUse = /address already in use|EADDRINUSE|os error 98/i.test(stderr)
        reject(new AnvilStartError(`anvil exited before listening on port ${port}: ${stderr.trim()}`, inUse))
      }
      const onError = (e: Error): void => {
        cleanup()
        reject(new AnvilStartError(`cannot spawn anvil (${bin}): ${e.message}`, false))
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new AnvilStartError(`anvil did not start listening on ${rpcUrl} within ${READY_TIMEOUT_MS} ms`, false))
      }, READY_TIMEOUT_MS)
      const cleanup = (): void => {
        clearTimeout(timer)
        child.off("exit", onExit)
        child.off("error", onError)
      }
      child.stdout?.setEncoding("utf8")
      child.stdout?.on("data", onData)
      child.once("exit", onExit)
      child.once("error", onError)
    })
    const answered = await rpcChainId(rpcUrl)
    if (answered !== chainId)
      throw new AnvilStartError(`anvil on ${rpcUrl} reports chain id ${answered}, expected ${chainId}`, false)
  } catch (error) {
    await stop()
    throw error
  }
  return { rpcUrl, port, chainId, process: child, stop }
}

async function rpcChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    })
    const body = (await res.json()) as { result?: string }
    return typeof body.result === "string" ? Number.parseInt(body.result, 16) : undefined
  } catch {
    return undefined // not listening yet
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once("error", reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))))
    })
  })
}
