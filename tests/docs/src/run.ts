/**
 * Writes composed README modules next to the package (so `@0g-compute/*` resolve through its node_modules),
 * type-checks them with `tsc --strict`, and runs each in its own Node process (tsx) against the devnet.
 */
import { spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { mkdir, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join, relative } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { ComposedModule } from "./compose.js"
import { MARK, type PreludeData } from "./prelude.js"

const require = createRequire(import.meta.url)
export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..")
export const REPO_ROOT = join(PACKAGE_DIR, "..", "..")
/** Every README the doc tests read, repo-relative: the root's, each package's that has one, the CLI's. */
export const README_PATHS: ReadonlyArray<string> = [
  "README.md",
  ...readdirSync(join(REPO_ROOT, "packages"))
    .map((p) => `packages/${p}/README.md`)
    .filter((p) => existsSync(join(REPO_ROOT, p))),
  "apps/cli/README.md",
]
export const readReadme = (path: string): string => readFileSync(join(REPO_ROOT, path), "utf8")
// "generated" directories are outside biome's reach (biome.json), so README code is not linted as ours.
export const GENERATED_DIR = join(PACKAGE_DIR, "generated")
/** The specifier a generated module uses for the prelude. */
export const PRELUDE_SPECIFIER = "../src/prelude.js"

export interface Exec {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
}

export const exec = (
  cmd: string,
  args: ReadonlyArray<string>,
  options: {
    cwd?: string
    env?: NodeJS.ProcessEnv
    timeoutMs: number
    /** Written to the child's stdin (then closed); without it, stdin is ignored. */
    input?: string
    /** Once stdout contains `marker`, the process gets only `ms` more to exit. */
    graceAfter?: { readonly marker: string; readonly ms: number }
  },
): Promise<Exec> =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    })
    if (options.input !== undefined) child.stdin?.end(options.input)
    let stdout = ""
    let stderr = ""
    let timedOut = false
    let grace: NodeJS.Timeout | undefined
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString()
      const g = options.graceAfter
      if (g && grace === undefined && stdout.includes(g.marker)) {
        grace = setTimeout(() => {
          timedOut = true
          child.kill("SIGKILL")
        }, g.ms)
      }
    })
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString()
    })
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, options.timeoutMs)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      clearTimeout(grace)
      resolve({ code, stdout, stderr, timedOut })
    })
  })

/** Writes the module as `generated/<name>.ts` and returns its path. */
export const writeModule = async (name: string, module: ComposedModule, dir = GENERATED_DIR): Promise<string> => {
  await mkdir(dir, { recursive: true })
  const path = join(dir, `${name}.ts`)
  await writeFile(path, module.source)
  return path
}

export interface TypeError_ {
  /** `README.md:12` when the error is inside README code, else the generated position. */
  readonly where: string
  readonly text: string
}

/**
 * Type-checks generated modules in one `tsc` run. Returns each module's errors (by path), mapped back to README
 * lines; errors in the harness's own files are returned under "harness". Errors inside the packages' sources are not
 * README drift (their own typecheck owns them) and are left out.
 */
export const typecheck = async (
  modules: ReadonlyArray<{ readonly path: string; readonly module: ComposedModule }>,
  configName: string,
  dir = GENERATED_DIR,
): Promise<ReadonlyMap<string, ReadonlyArray<TypeError_>>> => {
  const config = join(dir, `tsconfig.${configName}.json`)
  await writeFile(
    config,
    JSON.stringify({
      // A user's app: `--strict` ESM on Node, not our stricter in-repo settings (exactOptionalPropertyTypes …).
      compilerOptions: {
        strict: true,
        target: "ES2022",
        lib: ["ES2022", "DOM"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        types: ["node"],
        skipLibCheck: true,
        noEmit: true,
      },
      files: modules.map((m) => relative(dir, m.path)),
    }),
  )
  const tsc = require.resolve("typescript/bin/tsc")
  const out = await exec(process.execPath, [tsc, "-p", config, "--pretty", "false"], {
    cwd: dir,
    timeoutMs: 600_000,
  })
  const result = new Map<string, Array<TypeError_>>(modules.map((m) => [m.path, []]))
  result.set("harness", [])
  if (out.code === 0) return result
  let last: Array<TypeError_> | undefined
  for (const line of out.stdout.split("\n")) {
    const m = /^(.+?)\((\d+),(\d+)\): (error .*)$/.exec(line)
    if (m === null) {
      const prev = last?.pop()
      if (prev && line.trim() !== "") last?.push({ ...prev, text: `${prev.text}\n${line}` })
      else if (prev) last?.push(prev)
      continue
    }
    const [, file = "", row = "0", , text = ""] = m
    const abs = join(dir, file)
    const owner = modules.find((x) => x.path === abs)
    if (owner) {
      const pos = owner.module.lineMap[Number(row) - 1]
      last = result.get(owner.path)
      last?.push({ where: pos ? `${pos.file}:${pos.line}` : `${file}:${row} (harness line)`, text })
    } else if (abs.startsWith(PACKAGE_DIR)) {
      last = result.get("harness")
      last?.push({ where: `${relative(PACKAGE_DIR, abs)}:${row}`, text })
    } else last = undefined
  }
  if (out.timedOut || (out.code !== 1 && out.code !== 2)) {
    result
      .get("harness")
      ?.push({ where: "tsc", text: `exit ${out.code}${out.timedOut ? " (timed out)" : ""}: ${out.stderr}` })
  }
  return result
}

export interface RunResult {
  /** Index of the last block that started (-1: none). */
  readonly reached: number
  readonly done: boolean
  readonly failure: { readonly tag?: string; readonly message: string; readonly stack?: string } | undefined
  readonly exec: Exec
}

/** Runs a generated module in a fresh Node process; after its last block it has `exitGraceMs` (5 s) to exit. */
export const runModule = async (
  path: string,
  options: { cwd: string; prelude: PreludeData; timeoutMs: number; exitGraceMs?: number },
): Promise<RunResult> => {
  const tsx = pathToFileURL(require.resolve("tsx")).href
  const env = {
    ...process.env,
    ZG_PRIVATE_KEY: options.prelude.privateKey,
    ZG_RPC_URL: options.prelude.rpcUrl,
    ZG_STORAGE_INDEXER: options.prelude.indexerUrl,
    ZG_DOCS_PRELUDE: JSON.stringify(options.prelude),
  }
  const out = await exec(process.execPath, ["--import", tsx, path], {
    cwd: options.cwd,
    env,
    timeoutMs: options.timeoutMs,
    graceAfter: { marker: `${MARK} done`, ms: options.exitGraceMs ?? 5_000 },
  })
  let reached = -1
  let done = false
  let failure: RunResult["failure"]
  for (const line of out.stdout.split("\n")) {
    if (!line.startsWith(`${MARK} `)) continue
    const [, what = "", ...rest] = line.split(" ")
    if (what === "block") reached = Number(rest[0])
    else if (what === "done") done = true
    else if (what === "fail") failure = JSON.parse(rest.join(" ")) as RunResult["failure"]
  }
  return { reached, done, failure, exec: out }
}

/** One line saying why a run is not a pass, or undefined for a pass. */
export const runVerdict = (r: RunResult): string | undefined => {
  if (r.failure) return `threw ${r.failure.tag ? `${r.failure.tag}: ` : ""}${r.failure.message}`
  if (r.exec.timedOut && r.done) return "did not exit after its last block (an open handle: a client not closed?)"
  if (r.exec.timedOut) return "timed out"
  if (!r.done) return `crashed (exit ${r.exec.code}): ${r.exec.stderr.trim().split("\n").slice(-8).join("\n")}`
  if (r.exec.code !== 0)
    return `exit ${r.exec.code} after its last block: ${r.exec.stderr.trim().split("\n").slice(-8).join("\n")}`
  return undefined
}
