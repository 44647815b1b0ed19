/**
 * Where the router's time goes (a tool, not part of `pnpm bench`): one router instance in this process on PGlite
 * (or Postgres with DATABASE_URL), the devnet in a child process, N non-stream chats with C in flight. Prints
 *  - per SQL statement kind: count, mean and p99 of wall time (queue wait included) and of time inside the driver,
 *  - CPU seconds of this process and of the devnet child over the load phase,
 *  - with PROFILE=path: a V8 CPU profile of the load phase, and its top self-time functions.
 *
 * With OWN=1 the router runs in its own process instead and its CPU profile of the load phase is printed.
 *
 * Run: `tsx router/profile.ts` (from bench/). N (default 300), C (default 16), PROFILE, DATABASE_URL, OWN, KEEP (with
 * OWN: where to keep the router's profile).
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { join } from "node:path"
import { Effect, Exit, Layer, Scope } from "effect"
import { Database, type Driver, FundingLog, Keys, makeRouter, Spend } from "../../packages/router/src/index.js"
import { load, quantile } from "../inference/load.js"
import { runBenchScript, withBenchDevnet } from "./bench-run.js"
import { cpuSeconds, createKey, routerSender, spawnRouter, treeOf } from "./procs.js"

const N = Number(process.env.N ?? 300)
const C = Number(process.env.C ?? 16)

const spans = new Map<string, { wall: number[] }>()
const kindOf = (text: string) => {
  const t = text.replace(/\s+/g, " ").trim()
  if (t.includes("INSERT INTO router_reservations")) return "reserve"
  if (t.includes("DELETE FROM router_reservations WHERE id")) return "settle"
  if (t.includes("secret_hash =")) return "authenticate"
  return t.slice(0, 40)
}
const timed = (d: Driver): Driver => ({
  ...d,
  query: async (text, params) => {
    const t = performance.now()
    try {
      return await d.query(text, params)
    } finally {
      const k = kindOf(text)
      const s = spans.get(k) ?? { wall: [] }
      s.wall.push(performance.now() - t)
      spans.set(k, s)
    }
  },
})

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>
  samples: number[]
  timeDeltas: number[]
}

/** Top files and functions by self time. */
const summarize = (p: CpuProfile) => {
  const self = new Map<number, number>()
  p.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0))
  })
  const byFn = new Map<string, number>()
  const byFile = new Map<string, number>()
  for (const n of p.nodes) {
    const us = self.get(n.id) ?? 0
    const file = n.callFrame.url.replace(/^.*node_modules\/\.pnpm\/([^/]+)\/.*$/, "$1").replace(/^.*\/work\/main\//, "")
    const name = `${n.callFrame.functionName || "(anon)"} ${file}:${n.callFrame.lineNumber}`
    byFn.set(name, (byFn.get(name) ?? 0) + us)
    byFile.set(file || n.callFrame.functionName, (byFile.get(file || n.callFrame.functionName) ?? 0) + us)
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([n, us]) => `    ${(us / 1000).toFixed(0).padStart(7)} ms  ${n}`)
  console.log("  top files by self time:")
  console.log(top(byFile, 25).join("\n"))
  console.log("  top functions by self time:")
  console.log(top(byFn, 30).join("\n"))
}

const main = async () => {
  await withBenchDevnet("router-profile", async ({ provider, rpcUrl, privateKey, client, tmp: dataDir, chat }) => {
    const scope = Scope.makeUnsafe()
    try {
      const url = process.env.DATABASE_URL
      const db = Layer.effect(
        Database,
        Effect.gen(function* () {
          return timed(yield* Database)
        }),
      ).pipe(Layer.provide(Database.layer(url === undefined ? { dataDir } : { databaseUrl: url })))
      const store = Layer.mergeAll(Keys.layer, Spend.layer, FundingLog.layer).pipe(Layer.provideMerge(db))
      // OWN=1: the router in its own process, profiled there (SIGUSR2 around the load phase, procs.ts).
      const ownProfile = join(dataDir, "own.cpuprofile")
      process.env.ZG_BENCH_PROFILE = ownProfile
      const own =
        process.env.OWN === "1"
          ? await spawnRouter(process.argv[1] ?? "", "router", {
              privateKey,
              rpcUrl,
              provider,
              dataDir: join(dataDir, "own"),
            })
          : undefined
      const router =
        own ??
        (await client.run(
          Effect.gen(function* () {
            const ctx = yield* Layer.buildWithScope(store, scope)
            return yield* makeRouter({ providers: [provider] }).pipe(Effect.provide(ctx), Scope.provide(scope))
          }),
        ))
      const { send } = routerSender([router], await createKey(router, "profile"), chat)
      for (let i = 0; i < 50; i++) await send(i)
      spans.clear()
      const session = new Session()
      const profile = process.env.PROFILE
      if (profile !== undefined) {
        session.connect()
        await session.post("Profiler.enable")
        await session.post("Profiler.start")
      }
      const pids = treeOf(process.pid).filter((p) => p !== process.pid)
      const before = { self: process.cpuUsage(), child: cpuSeconds(pids) }
      if (own !== undefined) process.kill(own.pid, "SIGUSR2")
      const r = await load(N, C, send)
      const self = process.cpuUsage(before.self)
      const childCpu = cpuSeconds(pids) - before.child
      if (own !== undefined) {
        process.kill(own.pid, "SIGUSR2")
        while (!existsSync(ownProfile)) await new Promise((resolve) => setTimeout(resolve, 100))
        await new Promise((resolve) => setTimeout(resolve, 500)) // the write finishes
        if (process.env.KEEP !== undefined) copyFileSync(ownProfile, process.env.KEEP)
        console.log(`router process (${own.pid}) profile, load phase:`)
        summarize(JSON.parse(readFileSync(ownProfile, "utf8")) as CpuProfile)
        await own.stop()
      }
      console.log(`router via PGlite=${url === undefined}: ${N} chats, C=${C}`)
      console.log(`  ${r.reqPerSec.toFixed(1)} req/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms`)
      console.log(
        `  CPU: this process ${((self.user + self.system) / 1e6).toFixed(2)} s, child trees (devnet, router with OWN) ${childCpu.toFixed(2)} s` +
          ` (${(((self.user + self.system) / 1e3 / N) * 1).toFixed(2)} ms/req here)`,
      )
      for (const [k, s] of spans)
        console.log(
          `  sql ${k.padEnd(40)} n=${s.wall.length}  mean ${(s.wall.reduce((a, b) => a + b, 0) / s.wall.length).toFixed(2)} ms  p99 ${quantile(s.wall, 0.99).toFixed(2)} ms`,
        )
      if (profile !== undefined) {
        const { profile: p } = (await session.post("Profiler.stop")) as { profile: CpuProfile }
        writeFileSync(profile, JSON.stringify(p))
        summarize(p)
      }
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })
}

// `tsx router/profile.ts summarize <file.cpuprofile>`: the same summary for a profile written by `node --cpu-prof`.
await runBenchScript(main, {
  summarize: () => summarize(JSON.parse(readFileSync(process.argv[3] ?? "", "utf8")) as CpuProfile),
})
