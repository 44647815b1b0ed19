/**
 * A/B of router builds (a tool for optimisation work, not part of `pnpm bench`): one devnet, one router process per
 * source tree in ROUTERS (comma-separated checkouts of this repo, each with its node_modules), measured in turn for
 * R rounds so that both see the same machine load:
 *  - C in flight for N chats: req/s and CPU ms per request of the router process and of the devnet,
 *  - one request at a time for N1 chats, right after the same number straight through `client.fetch`: added p50/p99.
 * Prints every round and the medians per tree, with the load average.
 *
 * Run (from bench/): `ROUTERS=/path/a,/path/b tsx router/ab.ts`. N (300), C (16), N1 (150), R (3).
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { load } from "../inference/load.js"
import { runBenchScript, withBenchDevnet } from "./bench-run.js"
import { cpuSeconds, createKey, routerSender, spawnRouter } from "./procs.js"

const N = Number(process.env.N ?? 300)
const C = Number(process.env.C ?? 16)
const N1 = Number(process.env.N1 ?? 150)
const R = Number(process.env.R ?? 3)

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")

interface Round {
  reqPerSec: number
  routerCpu: number
  devnetCpu: number
  addedP50: number
  addedP99: number
}

const main = async () => {
  const trees = (process.env.ROUTERS ?? "").split(",").filter((t) => t !== "")
  if (trees.length === 0) throw new Error("ROUTERS=<tree>,<tree> names the checkouts to compare")
  await withBenchDevnet("router-ab", async ({ provider, rpcUrl, privateKey, tmp, devnetPids, chat, viaDirect }) => {
    const stops: Array<() => Promise<void>> = []
    try {
      const routers = []
      for (const [i, tree] of trees.entries()) {
        const r = await spawnRouter(join(tree, "bench/router/throughput.ts"), "router", {
          privateKey,
          rpcUrl,
          provider,
          dataDir: join(tmp, `r${i}`),
        })
        stops.push(r.stop)
        const sender = routerSender([r], await createKey(r, "ab"), chat)
        const send = async (j: number) => {
          const verified = sender.state.verified
          await sender.send(j)
          if (sender.state.verified === verified) throw new Error(`router ${tree} answered chat ${j} unverified`)
        }
        for (let j = 0; j < 50; j++) await send(j)
        routers.push({ tree, pid: r.pid, send, rounds: [] as Round[] })
      }
      for (let j = 0; j < 50; j++) await viaDirect(j)
      for (let round = 0; round < R; round++) {
        for (const r of round % 2 === 0 ? routers : [...routers].reverse()) {
          const before = { router: cpuSeconds([r.pid]), devnet: cpuSeconds(devnetPids) }
          const m = await load(N, C, r.send)
          const routerCpu = ((cpuSeconds([r.pid]) - before.router) * 1000) / N
          const devnetCpu = ((cpuSeconds(devnetPids) - before.devnet) * 1000) / N
          const d1 = await load(N1, 1, viaDirect)
          const r1 = await load(N1, 1, r.send)
          const x = {
            reqPerSec: m.reqPerSec,
            routerCpu,
            devnetCpu,
            addedP50: r1.p50 - d1.p50,
            addedP99: r1.p99 - d1.p99,
          }
          r.rounds.push(x)
          console.log(
            `round ${round} ${r.tree}: ${x.reqPerSec.toFixed(1)} req/s, CPU ms/req router ${x.routerCpu.toFixed(2)} devnet ${x.devnetCpu.toFixed(2)}, ` +
              `one at a time: direct p50 ${d1.p50.toFixed(1)} p99 ${d1.p99.toFixed(1)}, added p50 ${x.addedP50.toFixed(1)} p99 ${x.addedP99.toFixed(1)} ms (load ${loadavg()})`,
          )
        }
      }
      console.log(`medians over ${R} rounds (N=${N}, C=${C}, N1=${N1}):`)
      for (const r of routers) {
        const m = (k: keyof Round) => median(r.rounds.map((x) => x[k])).toFixed(2)
        console.log(
          `  ${r.tree}: ${m("reqPerSec")} req/s, CPU ms/req router ${m("routerCpu")} devnet ${m("devnetCpu")}, added p50 ${m("addedP50")} p99 ${m("addedP99")} ms`,
        )
      }
    } finally {
      for (const stop of stops) await stop().catch(() => undefined)
    }
  })
}

await runBenchScript(main)
