/**
 * Devnet startup to ready: `startDevnet()` from call to resolved (anvil spawned and answering, 16 deploy
 * transactions, services registered and acknowledged). Target ≤ 5 s.
 */
import { startDevnet } from "@0g-compute/devnet"

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const times: number[] = []
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now()
  const devnet = await startDevnet()
  times.push(performance.now() - t0)
  await devnet.stop()
}
times.sort((a, b) => a - b)
const p50 = times[Math.floor(times.length / 2)] ?? 0
const max = times[times.length - 1] ?? 0
console.log("devnet startup to ready")
console.log(
  `  runs ${RUNS}  p50 ${p50.toFixed(0)} ms  min ${(times[0] ?? 0).toFixed(0)} ms  max ${max.toFixed(0)} ms  target ≤ 5000 ms  ${max <= 5000 ? "OK" : "MISSED"}`,
)
