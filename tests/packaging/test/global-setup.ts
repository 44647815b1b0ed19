/**
 * Builds every library package whose dist/ is older than its sources, packs each with `pnpm pack` (publishConfig
 * applied, workspace: ranges replaced) and installs all tarballs plus ethers into one blank project with npm. The
 * tests read that project through `inject("appDir")`. PACKAGING_REBUILD=1 forces a rebuild; PACKAGING_KEEP=1 keeps
 * the temporary directory.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import type { TestProject } from "vitest/node"

export const ROOT = resolve(import.meta.dirname, "../../..")
export const LIBRARIES = ["core", "contracts", "crypto", "storage", "inference", "fine-tuning", "sdk", "devnet"]

declare module "vitest" {
  export interface ProvidedContext {
    appDir: string
    packDir: string
  }
}

const run = (cmd: string, args: ReadonlyArray<string>, cwd: string): Promise<string> =>
  new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "1" } })
    let out = ""
    child.stdout.on("data", (d) => {
      out += d
    })
    child.stderr.on("data", (d) => {
      out += d
    })
    child.on("error", fail)
    child.on("close", (code) =>
      code === 0 ? ok(out) : fail(new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${code}:\n${out}`)),
    )
  })

const newest = (path: string): number => {
  const s = statSync(path)
  if (!s.isDirectory()) return s.mtimeMs
  let m = 0
  for (const name of readdirSync(path)) m = Math.max(m, newest(join(path, name)))
  return m
}

const isStale = (dir: string): boolean => {
  const marker = join(dir, "dist", "index.js")
  if (!existsSync(marker)) return true
  const inputs = ["src", "package.json", "tsconfig.json", "tsconfig.build.json"].map((f) => join(dir, f))
  return Math.max(...inputs.filter((f) => existsSync(f)).map(newest)) > statSync(marker).mtimeMs
}

const cliDir = join(ROOT, "apps", "cli")
const cliStale = (): boolean => {
  const marker = join(cliDir, "dist", "0g-compute.mjs")
  if (!existsSync(marker)) return true
  const inputs = [
    join(cliDir, "src"),
    join(cliDir, "scripts"),
    join(cliDir, "package.json"),
    ...LIBRARIES.map((p) => join(ROOT, "packages", p, "src")),
  ]
  return Math.max(...inputs.filter((f) => existsSync(f)).map(newest)) > statSync(marker).mtimeMs
}

/** Each package's tsc resolves its workspace dependencies to their sources, so builds are independent: two at a time. */
const buildStale = async (): Promise<void> => {
  const force = process.env.PACKAGING_REBUILD === "1"
  const queue = LIBRARIES.map((p) => join(ROOT, "packages", p)).filter((d) => force || isStale(d))
  // The CLI's bundle (esbuild) inlines the libraries' sources, so it is rebuilt when any of them changed.
  if (force || cliStale()) queue.push(cliDir)
  const worker = async () => {
    for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) await run("npm", ["run", "build"], dir)
  }
  await Promise.all([worker(), worker()])
}

export default async function setup(project: TestProject) {
  await buildStale()
  const tmp = mkdtempSync(join(tmpdir(), "0g-packaging-"))
  const packDir = join(tmp, "tarballs")
  const appDir = join(tmp, "app")
  await run("sh", ["scripts/pnpm.sh", "-r", "--filter", "./packages/*", "pack", "--pack-destination", packDir], ROOT)
  const cliPackDir = join(tmp, "cli-tarball")
  await run("sh", ["scripts/pnpm.sh", "--filter", "./apps/cli", "pack", "--pack-destination", cliPackDir], ROOT)
  const tarballs = readdirSync(packDir)
    .filter((f) => f.endsWith(".tgz"))
    .map((f) => join(packDir, f))
  if (tarballs.length !== LIBRARIES.length) throw new Error(`expected ${LIBRARIES.length} tarballs, got ${tarballs}`)
  tarballs.push(...readdirSync(cliPackDir).map((f) => join(cliPackDir, f)))
  await run("mkdir", ["-p", appDir], tmp)
  writeFileSync(join(appDir, "package.json"), `${JSON.stringify({ name: "blank", private: true, type: "module" })}\n`)
  // One npm install: the tarballs' `0.1.0` ranges on each other resolve to the tarballs given on the same line.
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...tarballs, "ethers@6"], appDir)
  project.provide("appDir", appDir)
  project.provide("packDir", packDir)
  return () => {
    if (process.env.PACKAGING_KEEP !== "1") rmSync(tmp, { recursive: true, force: true })
  }
}
