/**
 * Test helper: one router instance as its own process, so a test can `kill -9` it. Run as
 * `node --import tsx router-child.ts` with its configuration as JSON in `ZG_ROUTER_CHILD` (the environment, never
 * argv: it holds the wallet key). Prints one line `{"url", "instanceId"}` on stdout once listening; stops cleanly on
 * SIGTERM. `spawnRouter` starts one and resolves with that line.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createRequire } from "node:module"
import { fileURLToPath, pathToFileURL } from "node:url"
import { makeRpcProvider } from "@0g-compute/core"
import { createInferenceClient, type FundingPolicy } from "@0g-compute/inference"
import { Schema } from "effect"
import { startRouter } from "../router.js"

const Neuron = Schema.String.pipe(Schema.check(Schema.isPattern(/^\d+$/)))

export const ChildConfig = Schema.Struct({
  rpcUrl: Schema.String,
  chainId: Schema.Number,
  contracts: Schema.Record(Schema.String, Schema.String),
  privateKey: Schema.String,
  databaseUrl: Schema.String,
  providers: Schema.Array(Schema.String),
  adminToken: Schema.String,
  instanceId: Schema.String,
  reservationDeadlineMs: Schema.Number,
  funding: Schema.optionalKey(
    Schema.Struct({
      intervalMs: Schema.Number,
      policy: Schema.Struct({
        reserve: Schema.optionalKey(Neuron),
        headroom: Schema.optionalKey(Neuron),
        minTopUp: Schema.optionalKey(Neuron),
        unsettledMargin: Schema.optionalKey(Neuron),
        maxTopUp: Schema.optionalKey(Neuron),
      }),
    }),
  ),
})
export type ChildConfig = typeof ChildConfig.Type

const ENV = "ZG_ROUTER_CHILD"

const Ready = Schema.Struct({ url: Schema.String, instanceId: Schema.String })

export interface RouterChild {
  readonly url: string
  readonly instanceId: string
  readonly process: ChildProcess
  /** Resolves when the process has exited (after a kill or a stop). */
  readonly exited: Promise<unknown>
}

/** Starts a router process; resolves once it printed its URL (rejects with its stderr if it exits first). */
export const spawnRouter = (config: ChildConfig): Promise<RouterChild> => {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href
  const child = spawn(process.execPath, ["--import", tsx, fileURLToPath(import.meta.url)], {
    env: { ...process.env, [ENV]: JSON.stringify(Schema.encodeSync(ChildConfig)(config)) },
    stdio: ["ignore", "pipe", "pipe"],
  })
  const exited = new Promise((resolve) => child.once("exit", resolve))
  return new Promise((resolve, reject) => {
    let out = ""
    let err = ""
    child.stderr?.on("data", (c: Buffer) => {
      err = (err + c.toString()).slice(-8000)
    })
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString()
      const line = out.split("\n").find((l) => l.startsWith("{"))
      if (line !== undefined) {
        const ready = Schema.decodeUnknownSync(Ready)(JSON.parse(line))
        resolve({ ...ready, process: child, exited })
      }
    })
    child.once("exit", (code, signal) =>
      reject(new Error(`router child exited (${code ?? signal}) before listening: ${err}`)),
    )
  })
}

const main = async (raw: string) => {
  const c = Schema.decodeUnknownSync(ChildConfig)(JSON.parse(raw))
  const rpc = makeRpcProvider(c.rpcUrl, BigInt(c.chainId))
  const client = await createInferenceClient({
    privateKey: c.privateKey,
    provider: rpc,
    contracts: c.contracts,
    config: { signatureAttempts: 2, signatureRetryDelayMs: 10 }, // as router.test.ts: no long waits on the devnet
  })
  const f = c.funding
  const router = await startRouter({
    client,
    providers: c.providers,
    databaseUrl: c.databaseUrl,
    adminToken: c.adminToken,
    instanceId: c.instanceId,
    reservationDeadlineMs: c.reservationDeadlineMs,
    ...(f === undefined
      ? {}
      : {
          funding: {
            intervalMs: f.intervalMs,
            policy: Object.fromEntries(Object.entries(f.policy).map(([k, v]) => [k, BigInt(v)])) as FundingPolicy,
          },
        }),
  })
  process.stdout.write(`${JSON.stringify({ url: router.url, instanceId: router.instanceId })}\n`)
  process.once("SIGTERM", () => {
    void router
      .stop()
      .then(() => client.close())
      .finally(() => {
        rpc.destroy()
        process.exit(0)
      })
  })
}

const raw = process.env[ENV]
if (raw !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  main(raw).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  })
}
