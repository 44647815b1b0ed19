/**
 * `0g-compute --help` cold start against the official `0g-compute-cli --help` (issue 6: ours ≤ 1/3 of theirs).
 * Builds the production bundle fresh (apps/cli/dist), then runs each CLI N times, interleaved, each run a new node
 * process; one untimed run of each first so neither pays for a cold disk cache. Prints p50 and min of wall time, and
 * the ratio of the p50s.
 *
 * Usage: `tsx cli/startup.ts [runs]` (default 10).
 */
import { spawnSync } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { bundleCli } from "../../apps/cli/scripts/bundle.ts"

const here = dirname(fileURLToPath(import.meta.url))
const runs = Number(process.argv[2] ?? 10)

const ours = join(here, "../../apps/cli/dist/0g-compute.mjs")
// The package's exports map hides its CLI; bench/node_modules has it at a fixed place.
const official = join(here, "../node_modules/@0gfoundation/0g-compute-ts-sdk/cli.commonjs/cli/index.js")

const time = (script: string): number => {
  const start = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [script, "--help"], { stdio: ["ignore", "pipe", "pipe"] })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${script} --help exited ${r.status}: ${r.stderr}`)
  return ms
}

const p50 = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

await bundleCli()
time(ours)
time(official)
const t = { ours: [] as number[], official: [] as number[] }
for (let i = 0; i < runs; i++) {
  t.ours.push(time(ours))
  t.official.push(time(official))
}

const row = (name: string, xs: ReadonlyArray<number>) =>
  `${name.padEnd(32)} p50 ${p50(xs).toFixed(0).padStart(5)} ms   min ${Math.min(...xs)
    .toFixed(0)
    .padStart(5)} ms`
const ratio = p50(t.ours) / p50(t.official)
console.log(`\n--help cold start, ${runs} runs each, interleaved (node ${process.version})`)
console.log(row("0g-compute (dist bundle)", t.ours))
console.log(row("0g-compute-cli (official 0.9.0)", t.official))
console.log(`ratio ours/official (p50): ${ratio.toFixed(3)} — target ≤ 0.333: ${ratio <= 1 / 3 ? "met" : "NOT met"}`)
