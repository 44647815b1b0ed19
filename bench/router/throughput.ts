/**
 * Router throughput (issue 14, "Measured by"): the same non-stream chats, C in flight for N requests, sent
 *  (a) straight through `@0g-compute/inference` `client.fetch` (verified),
 *  (b) through `@0g-compute/router` (`startRouter`, one instance, PGlite in a temp dir, one virtual key whose budget
 *      cannot bind) — POST to 127.0.0.1 with the key's bearer secret,
 *  (d) through the official SDK's `0g-compute-cli inference serve` (0.9.0), run as a child process against the same
 *      devnet provider (its key in a temp HOME's `~/.0g-compute-cli/config.json`, as the CLI reads it).
 *  (c) when Debian's Postgres 15 is installed: one, then two router instances on one throwaway Postgres server
 *      (the router tests' helper), the two taking requests in turn; each instance has its own InferenceClient on the
 *      same wallet, both in this process (so they share its event loop and cores with the load generator).
 * The devnet runs in a child process. Prints req/s, p50, p99 per path, the router's added p50/p99 over (a), and
 * router req/s ÷ official req/s (goal ≥ 3×; added p99 ≤ 5 ms).
 *
 * Run: `tsx router/throughput.ts` (from bench/). N (default 500) and C (default 16) from the environment.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Ledger } from "@0g-compute/contracts"
import { createInferenceClient } from "@0g-compute/inference"
import { createZGComputeNetworkBroker } from "@0gfoundation/0g-compute-ts-sdk"
import { Redacted } from "effect"
import { JsonRpcProvider, parseEther, Wallet } from "ethers"
import { startRouter } from "../../packages/router/src/index.js"
import { freePort, startPostgres } from "../../packages/router/src/test-util/postgres.js"
import { type DevnetInfo, serve, startChild } from "../inference/devnet-child.js"
import { load } from "../inference/load.js"

const N = Number(process.env.N ?? 500)
const C = Number(process.env.C ?? 16)
const WARMUP = 50
const POSTGRES = existsSync("/usr/lib/postgresql/15/bin/postgres")

const here = dirname(fileURLToPath(import.meta.url))
// The package's exports map hides its CLI; bench/node_modules has it at a fixed place.
const officialCli = join(here, "../node_modules/@0gfoundation/0g-compute-ts-sdk/cli.commonjs/cli/index.js")

const run = (one: (i: number) => Promise<void>) => load(N, C, one)

/** The SDK prints on creation and on every transaction; keep the table readable. */
const quiet = async <A>(f: () => Promise<A>): Promise<A> => {
  const log = console.log
  console.log = () => {}
  try {
    return await f()
  } finally {
    console.log = log
  }
}

/** Funds the official wallet's ledger and provider sub-account (the serve command only acknowledges). */
const fundOfficial = async (info: DevnetInfo, key: string) => {
  const rpc = new JsonRpcProvider(`${info.proxyUrl}/official`)
  type SdkSigner = Parameters<typeof createZGComputeNetworkBroker>[0]
  const broker = await quiet(() => createZGComputeNetworkBroker(new Wallet(key, rpc) as unknown as SdkSigner))
  await quiet(async () => {
    await broker.ledger.addLedger(100)
    await broker.inference.acknowledgeProviderSigner(info.provider.providerAddress)
    await broker.ledger.transferFund(info.provider.providerAddress, "inference", parseEther("50"))
  })
  rpc.destroy()
}

/** `0g-compute-cli inference serve` in a child process; resolves once it answers a chat. */
const startOfficialServe = async (info: DevnetInfo, key: string) => {
  const home = mkdtempSync(join(tmpdir(), "zg-official-home-"))
  mkdirSync(join(home, ".0g-compute-cli"))
  writeFileSync(join(home, ".0g-compute-cli", "config.json"), JSON.stringify({ privateKey: key }), { mode: 0o600 })
  const port = await freePort()
  const args = ["inference", "serve", "--provider", info.provider.providerAddress, "--rpc", `${info.proxyUrl}/official`]
  args.push("--ledger-ca", info.addresses.ledger, "--inference-ca", info.addresses.inference)
  args.push("--port", String(port), "--host", "127.0.0.1")
  const child: ChildProcess = spawn(process.execPath, [officialCli, ...args], {
    env: { ...process.env, HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let output = ""
  const collect = (b: Buffer) => {
    output += b.toString()
  }
  child.stdout?.on("data", collect)
  child.stderr?.on("data", collect)
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`official serve exited ${child.exitCode}: ${output}`)
    if (Date.now() > deadline) throw new Error(`official serve did not answer in 60 s: ${output}`)
    const ok = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "up?" }] }),
    }).then(
      (r) => r.arrayBuffer().then(() => r.ok),
      () => false,
    )
    if (ok) break
    await new Promise((r) => setTimeout(r, 250))
  }
  return {
    url,
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
      child.kill("SIGTERM")
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
      rmSync(home, { recursive: true, force: true })
    },
  }
}

type Router = Awaited<ReturnType<typeof startRouter>>

/** One virtual key (budget that cannot bind) on `admin`'s database; returns its bearer secret. */
const createKey = async (admin: Router) => {
  const created = await fetch(`${admin.url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${Redacted.value(admin.adminToken)}`, "content-type": "application/json" },
    body: JSON.stringify({ label: "bench", budget: { total: "1000" } }),
  })
  if (created.status !== 201) throw new Error(`creating the key answered ${created.status}: ${await created.text()}`)
  return ((await created.json()) as { secret: string }).secret
}

/** POSTs chat i to the router chosen by i (round robin), counting responses the router reports Verified. */
const routerSender = (routers: ReadonlyArray<Router>, secret: string, body: (i: number) => string) => {
  const auth = `Bearer ${secret}`
  const state = { verified: 0 }
  const send = async (i: number) => {
    const router = routers[i % routers.length] as Router
    const r = await fetch(`${router.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: body(i),
    })
    if (r.status !== 200) throw new Error(`router answered ${r.status}: ${await r.text()}`)
    if (r.headers.get("x-zg-verified") === "Verified") state.verified++
    await r.arrayBuffer()
  }
  return { send, state }
}

const main = async () => {
  const child = await startChild(process.argv[1] ?? "")
  const { info } = child
  const provider = info.provider.providerAddress
  const client = await createInferenceClient({
    privateKey: info.userKeys[0] ?? "",
    rpcUrl: `${info.proxyUrl}/ours`,
    network: "devnet",
  })
  const dataDir = mkdtempSync(join(tmpdir(), "zg-router-bench-"))
  const officialKey = info.userKeys[1] ?? ""
  let router: Router | undefined
  const cleanup: Array<() => Promise<void>> = []
  let official: Awaited<ReturnType<typeof startOfficialServe>> | undefined
  try {
    await client.run(Ledger.use((l) => l.add(10n ** 20n)))
    await client.acknowledge(provider, { allowDevnet: true, fund: "50" })
    router = await startRouter({ client, providers: [provider], dataDir })
    const secret = await createKey(router)
    await fundOfficial(info, officialKey)
    official = await startOfficialServe(info, officialKey)

    const body = (i: number) =>
      JSON.stringify({ model: info.provider.model, messages: [{ role: "user", content: `router bench ${i}` }] })
    const direct = client.fetch(provider)
    const viaDirect = async (i: number) => {
      const r = await direct(`${info.provider.url}/v1/proxy/chat/completions`, { method: "POST", body: body(i) })
      if (r.status !== 200) throw new Error(`provider answered ${r.status}`)
      await r.arrayBuffer()
    }
    const viaRouter = routerSender([router], secret, body)
    const officialUrl = `${official.url}/v1/chat/completions`
    const viaOfficial = async (i: number) => {
      const r = await fetch(officialUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(i),
      })
      if (r.status !== 200) throw new Error(`official serve answered ${r.status}: ${await r.text()}`)
      await r.arrayBuffer()
    }
    for (let i = 0; i < WARMUP; i++) {
      await viaDirect(i)
      await viaRouter.send(i)
      await viaOfficial(i)
    }
    const verified = () => client.usageRecords().filter((r) => r.verdict === "Verified").length
    const v0 = verified()
    const a = await run(viaDirect)
    const directVerified = verified() - v0
    viaRouter.state.verified = 0
    const b = await run(viaRouter.send)
    const d = await run(viaOfficial)
    let c: { one: typeof b; oneVerified: number; two: typeof b; twoVerified: number } | undefined
    if (POSTGRES) {
      const pg = await startPostgres()
      cleanup.push(pg.stop)
      const second = await createInferenceClient({
        privateKey: info.userKeys[0] ?? "",
        rpcUrl: `${info.proxyUrl}/ours`,
        network: "devnet",
      })
      cleanup.push(() => second.close())
      await second.acknowledge(provider, { allowDevnet: true })
      const r1 = await startRouter({ client, providers: [provider], databaseUrl: pg.url })
      cleanup.push(r1.stop)
      const r2 = await startRouter({ client: second, providers: [provider], databaseUrl: pg.url })
      cleanup.push(r2.stop)
      const pgSecret = await createKey(r1)
      const viaOne = routerSender([r1], pgSecret, body)
      const viaTwo = routerSender([r1, r2], pgSecret, body)
      for (let i = 0; i < WARMUP; i++) await viaTwo.send(i)
      viaOne.state.verified = 0
      const one = await run(viaOne.send)
      viaTwo.state.verified = 0
      const two = await run(viaTwo.send)
      c = { one, oneVerified: viaOne.state.verified, two, twoVerified: viaTwo.state.verified }
    }

    const f = (x: number) => x.toFixed(1).padStart(8)
    console.log(
      `router throughput (devnet, ${N} non-stream chats, ${C} in flight, ${WARMUP} warm-up, ${cpus().length} cores)`,
    )
    console.log("  path                                 req/s     p50 ms    p99 ms  verified")
    console.log(
      `  (a) client.fetch direct            ${f(a.reqPerSec)}   ${f(a.p50)}  ${f(a.p99)}  ${directVerified}/${N}`,
    )
    console.log(
      `  (b) router, 1 instance, PGlite     ${f(b.reqPerSec)}   ${f(b.p50)}  ${f(b.p99)}  ${viaRouter.state.verified}/${N}`,
    )
    console.log(
      `  (d) official inference serve 0.9.0 ${f(d.reqPerSec)}   ${f(d.p50)}  ${f(d.p99)}  — (does not verify)`,
    )
    if (c === undefined) console.log("  (c) router on Postgres: not measured (no /usr/lib/postgresql/15/bin/postgres)")
    else {
      console.log(
        `  (c) router, 1 instance, Postgres   ${f(c.one.reqPerSec)}   ${f(c.one.p50)}  ${f(c.one.p99)}  ${c.oneVerified}/${N}`,
      )
      console.log(
        `  (c) router, 2 instances, Postgres  ${f(c.two.reqPerSec)}   ${f(c.two.p50)}  ${f(c.two.p99)}  ${c.twoVerified}/${N}`,
      )
      console.log(
        `  (c) 2 instances added over (a): p50 ${(c.two.p50 - a.p50).toFixed(1)} ms  p99 ${(c.two.p99 - a.p99).toFixed(1)} ms`,
      )
    }
    const added99 = b.p99 - a.p99
    console.log(
      `  (b) router added over (a): p50 ${(b.p50 - a.p50).toFixed(1)} ms  p99 ${added99.toFixed(1)} ms (goal ≤ 5 ms: ${added99 <= 5 ? "met" : "NOT met"})`,
    )
    const ratio = b.reqPerSec / d.reqPerSec
    console.log(`  router req/s ÷ official req/s: ${ratio.toFixed(2)}× (goal ≥ 3×: ${ratio >= 3 ? "met" : "NOT met"})`)
  } finally {
    for (const stop of cleanup.reverse()) await stop()
    await official?.stop()
    await router?.stop()
    await client.close()
    rmSync(dataDir, { recursive: true, force: true })
    await Promise.race([child.stop(), new Promise((r) => setTimeout(r, 5000))])
  }
}

if (process.argv[2] === "serve") await serve()
else {
  await main()
  process.exit(0)
}
