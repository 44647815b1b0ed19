/**
 * Bench helpers: a router instance in its own process (so the load generator does not share its event loop), and CPU
 * seconds of process trees from /proc (Linux), to show which process the time goes to.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { createInferenceClient } from "@0g-compute/inference"
import { Redacted } from "effect"
import { startRouter } from "../../packages/router/src/index.js"

export interface RouterChildConfig {
  readonly privateKey: string
  readonly rpcUrl: string
  readonly provider: string
  readonly dataDir?: string
  readonly databaseUrl?: string
}

const ENV = "ZG_BENCH_ROUTER"

/** Child side: start the router, print `{url, adminToken}`, run until stdin closes. */
export const serveRouter = async () => {
  const config = JSON.parse(process.env[ENV] ?? "{}") as RouterChildConfig
  const client = await createInferenceClient({
    privateKey: config.privateKey,
    rpcUrl: config.rpcUrl,
    network: "devnet",
  })
  await client.acknowledge(config.provider, { allowDevnet: true })
  const router = await startRouter({
    client,
    providers: [config.provider],
    ...(config.databaseUrl === undefined ? { dataDir: config.dataDir ?? "" } : { databaseUrl: config.databaseUrl }),
  })
  // ZG_BENCH_PROFILE=<file>: SIGUSR2 starts a CPU profile, the next SIGUSR2 writes it (router/profile.ts OWN=1).
  const profileTo = process.env.ZG_BENCH_PROFILE
  if (profileTo !== undefined) {
    const session = new Session()
    session.connect()
    let running = false
    process.on("SIGUSR2", () => {
      void (async () => {
        if (!running) {
          running = true
          await session.post("Profiler.enable")
          await session.post("Profiler.start")
          process.stdout.write("profiling\n")
          return
        }
        const { profile } = await session.post("Profiler.stop")
        writeFileSync(profileTo, JSON.stringify(profile))
        process.stdout.write("profiled\n")
      })()
    })
  }
  process.stdout.write(`${JSON.stringify({ url: router.url, adminToken: Redacted.value(router.adminToken) })}\n`)
  process.stdin.resume()
  process.stdin.on("end", () => {
    void router
      .stop()
      .then(() => client.close())
      .then(() => process.exit(0))
  })
}

export interface RouterProcess {
  readonly url: string
  readonly adminToken: Redacted.Redacted<string>
  readonly pid: number
  readonly stop: () => Promise<void>
}

/** Parent side: `script` re-run with `mode` as its argument (the config in the environment: it holds a key). */
export const spawnRouter = async (script: string, mode: string, config: RouterChildConfig): Promise<RouterProcess> => {
  // ZG_BENCH_CPU_PROF=<dir>: the router child writes a V8 CPU profile there when it exits (router/profile.ts).
  const prof = process.env.ZG_BENCH_CPU_PROF
  const flags = prof === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${prof}`]
  const child: ChildProcess = spawn(process.execPath, [...flags, ...process.execArgv, script, mode], {
    env: { ...process.env, [ENV]: JSON.stringify(config) },
    stdio: ["pipe", "pipe", "inherit"],
  })
  const line = await new Promise<string>((resolve, reject) => {
    let out = ""
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString()
      const at = out.indexOf("\n")
      if (at >= 0) resolve(out.slice(0, at))
    })
    child.once("exit", (code) => reject(new Error(`router child exited with ${code}`)))
  })
  const ready = JSON.parse(line) as { url: string; adminToken: string }
  return {
    url: ready.url,
    adminToken: Redacted.make(ready.adminToken),
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL")
          resolve()
        }, 5000)
        child.once("exit", () => {
          clearTimeout(timer)
          resolve()
        })
        child.stdin?.end()
      }),
  }
}

const stat = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
  } catch {
    return []
  }
}

/** The pids of `pid` and every process below it. */
export const treeOf = (pid: number): number[] => {
  const all = readdirSync("/proc").filter((d) => /^\d+$/.test(d))
  const kids = (p: number): number[] =>
    all.filter((d) => stat(Number(d))[1] === String(p)).flatMap((d) => [Number(d), ...kids(Number(d))])
  return [pid, ...kids(pid)]
}

/** CPU seconds (user + system) used so far by these processes (exited ones count 0). */
export const cpuSeconds = (pids: ReadonlyArray<number>) =>
  pids.reduce((sum, pid) => {
    const f = stat(pid)
    return sum + (f.length > 12 ? (Number(f[11]) + Number(f[12])) / 100 : 0)
  }, 0)

/** A router the bench talks to: its URL and admin token. */
export interface Endpoint {
  readonly url: string
  readonly adminToken: Redacted.Redacted<string>
}

/** One virtual key (a budget that cannot bind during a bench run) on `admin`'s database; returns its bearer secret. */
export const createKey = async (admin: Endpoint, label = "bench") => {
  const created = await fetch(`${admin.url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${Redacted.value(admin.adminToken)}`, "content-type": "application/json" },
    body: JSON.stringify({ label, budget: { total: "1000" } }),
  })
  if (created.status !== 201) throw new Error(`creating the key answered ${created.status}: ${await created.text()}`)
  return ((await created.json()) as { secret: string }).secret
}

/** POSTs chat i to the router chosen by i (round robin), counting responses the router reports Verified. */
export const routerSender = (routers: ReadonlyArray<Endpoint>, secret: string, body: (i: number) => string) => {
  const auth = `Bearer ${secret}`
  const state = { verified: 0 }
  const send = async (i: number) => {
    const router = routers[i % routers.length] as Endpoint
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
