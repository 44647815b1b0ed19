/** Shared bench helpers: recipe files, child-process runs with peak RSS, table printing. */
import { spawn } from "node:child_process"
import { existsSync, statSync } from "node:fs"
import { open } from "node:fs/promises"

export const MiB = 1024 * 1024

/** Writes a file whose byte i is i mod 251 (the vectors' recipe), unless it already exists with that size. */
export const ensureRecipeFile = async (path: string, size: number, seed = 0): Promise<void> => {
  if (seed === 0 && existsSync(path) && statSync(path).size === size) return
  const block = 4 * MiB
  const pattern = new Uint8Array(block + 251)
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i + seed * 97) % 251
  const fh = await open(path, "w")
  for (let o = 0; o < size; o += block) {
    const s = o % 251
    await fh.write(pattern.subarray(s, s + Math.min(block, size - o)))
  }
  await fh.close()
}

export interface ChildResult {
  readonly label: string
  readonly runsMs: ReadonlyArray<number>
  readonly result: string
  /** Peak resident set size of the child process in bytes. */
  readonly peakRss: number
  readonly baselineRss: number
}

/** Runs `script args…` in a fresh node (same loader flags) and parses the JSON line it prints last. */
export const runChild = (script: string, args: ReadonlyArray<string>): Promise<ChildResult> =>
  spawnChild([...process.execArgv, script, ...args])

/** Runs a bundled .mjs under plain node (no TypeScript loader). */
export const runChildPlain = (script: string, args: ReadonlyArray<string>): Promise<ChildResult> =>
  spawnChild([script, ...args])

const spawnChild = (argv: ReadonlyArray<string>): Promise<ChildResult> =>
  new Promise((resolve, reject) => {
    const script = argv.join(" ").slice(0, 200)
    const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
    })
    child.on("error", reject)
    child.on("exit", (code) => {
      const line = out
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .at(-1)
      if (code !== 0 || !line) reject(new Error(`${script} exited ${code}: ${out.slice(-500)}`))
      else resolve(JSON.parse(line) as ChildResult)
    })
  })

/** In the child: time `runs` calls of `fn`, then print the JSON line {@link runChild} reads. */
export const reportChild = async (label: string, runs: number, fn: () => Promise<string>): Promise<void> => {
  const baselineRss = process.memoryUsage().rss
  const runsMs: number[] = []
  let result = ""
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    result = await fn()
    runsMs.push(performance.now() - t)
  }
  const peakRss = process.resourceUsage().maxRSS * 1024
  process.stdout.write(`${JSON.stringify({ label, runsMs, result, peakRss, baselineRss } satisfies ChildResult)}\n`)
}

export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}
