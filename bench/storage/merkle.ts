/**
 * Merkle root of a 256 MiB file: ours vs both npm SDKs, each in its own plain-node process (bundled, so peak RSS is
 * the implementation's, not a TypeScript loader's), same run, interleaved.
 */
import { tmpdir } from "node:os"
import { join } from "node:path"
import { buildChildren } from "./build.js"
import { type ChildResult, ensureRecipeFile, MiB, runChildPlain, table } from "./util.js"

const EXPECTED_256 = "0x1fd54927f1e2bfa05353c1a01d9d45809e8e156e7d680fdd19aa40c63746b261"

export const benchMerkle = async (sizeMiB = Number(process.env.MERKLE_MIB ?? 256)): Promise<void> => {
  const size = sizeMiB * MiB
  const path = join(tmpdir(), `zg-bench-${sizeMiB}MiB.bin`)
  await ensureRecipeFile(path, size)
  const child = (await buildChildren())["merkle-child"] as string
  // The machine may be shared: interleave the implementations over two rounds and keep each one's best run.
  const plan = [
    ["ours", 2],
    ["0gfoundation", 1],
    ["ours-1thread", 2],
    ["0glabs", 1],
  ] as const
  const byLabel = new Map<string, ChildResult>()
  for (let round = 1; round <= 2; round++) {
    for (const [impl, n] of plan) {
      process.stderr.write(`merkle ${sizeMiB} MiB, round ${round}: ${impl}…\n`)
      const r = await runChildPlain(child, [impl, path, String(n)])
      const prev = byLabel.get(impl)
      byLabel.set(
        impl,
        prev ? { ...r, runsMs: [...prev.runsMs, ...r.runsMs], peakRss: Math.max(prev.peakRss, r.peakRss) } : r,
      )
    }
  }
  const runs = plan.map(([impl]) => byLabel.get(impl) as ChildResult)
  const roots = new Set(runs.map((r) => r.result))
  const best = (r: ChildResult) => Math.min(...r.runsMs)
  const sdkNew = runs.find((r) => r.label === "0gfoundation") as ChildResult
  const sdkOld = runs.find((r) => r.label === "0glabs") as ChildResult
  const rows = runs.map((r) => [
    r.label,
    r.runsMs.map((ms) => ms.toFixed(0)).join(" / "),
    (size / 1e6 / (best(r) / 1000)).toFixed(1),
    `${(best(sdkNew) / best(r)).toFixed(1)}×`,
    `${(best(sdkOld) / best(r)).toFixed(1)}×`,
    (r.peakRss / 1e6).toFixed(0),
    (r.baselineRss / 1e6).toFixed(0),
  ])
  process.stdout.write(`\nMerkle root of a ${sizeMiB} MiB file (byte i = i mod 251), ${runs.length} implementations\n`)
  process.stdout.write(
    `${table(["impl", "runs ms", "best MB/s", "vs 0gfoundation", "vs 0glabs", "peak RSS MB", "start RSS MB"], rows)}\n`,
  )
  const agree = roots.size === 1
  process.stdout.write(`roots agree: ${agree} (${[...roots].join(", ")})\n`)
  if (sizeMiB === 256 && !roots.has(EXPECTED_256)) process.stdout.write("WARNING: root differs from the vector\n")
  if (!agree) process.exitCode = 1
}
