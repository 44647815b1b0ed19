/**
 * Builds every library package whose dist/ is older than its sources, packs each with `pnpm pack` (publishConfig
 * applied, workspace: and catalog: ranges replaced) and installs the tarballs the way users do: npm, a blank project,
 * no lockfile, metadata revalidated against the registry (`--prefer-online`), so the tree is what a user gets today,
 * not what our lockfile remembers. Three projects are installed side by side:
 * - `appDir`: every tarball (libraries, devnet, CLI) + ethers — the examples, the installed CLI, browser bundles;
 * - `consumerDir`: the seven library tarballs + ethers, openai and the app's own `effect@latest` — one copy of each,
 *   install size, and the TypeScript consumer setups (typescript and @types/node are installed there too);
 * - `cliDir`: the CLI tarball alone — what `npm install @0g-compute/cli` costs.
 * The tests read them through `inject`. PACKAGING_REBUILD=1 forces a rebuild; PACKAGING_KEEP=1 keeps the temp dir.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import type { TestProject } from "vitest/node"

export const ROOT = resolve(import.meta.dirname, "../../..")
export const LIBRARIES = ["core", "contracts", "crypto", "storage", "inference", "fine-tuning", "sdk", "devnet"]

declare module "vitest" {
  export interface ProvidedContext {
    appDir: string
    packDir: string
    consumerDir: string
    cliDir: string
    /** `npm view effect version` when the projects were installed. */
    effectLatest: string
  }
}

/**
 * The environment a user's shell would give npm: without the `npm_config_*` settings that pnpm and turbo hand to the
 * scripts they run (pnpm's own keys make npm warn, and none of them belong to a user's install).
 */
const userEnv = (): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(config|package|lifecycle)_/i.test(k))),
  CI: "1",
})

/** Runs a command; resolves with its stdout, rejects with stdout and stderr. */
const run = (cmd: string, args: ReadonlyArray<string>, cwd: string): Promise<string> =>
  new Promise((ok, fail) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: userEnv() })
    let out = ""
    let err = ""
    child.stdout.on("data", (d) => {
      out += d
    })
    child.stderr.on("data", (d) => {
      err += d
    })
    child.on("error", fail)
    child.on("close", (code) =>
      code === 0 ? ok(out) : fail(new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${code}:\n${out}${err}`)),
    )
  })

const newest = (path: string): number => {
  const s = statSync(path)
  if (!s.isDirectory()) return s.mtimeMs
  let m = 0
  for (const name of readdirSync(path)) m = Math.max(m, newest(join(path, name)))
  return m
}

const BUILD_INPUTS = ["src", "package.json", "tsconfig.json", "tsconfig.build.json"]
const builder = join(ROOT, "scripts", "build-package.mjs")
/** What every package build reads besides its own files: the builder and the shared tsconfigs its two files extend. */
const SHARED_BUILD_INPUTS = [
  builder,
  ...["tsconfig.base.json", "tsconfig.package.json", "tsconfig.build.package.json"].map((f) => join(ROOT, f)),
]

const isStale = (dir: string): boolean => {
  const marker = join(dir, "dist", "cjs", "package.json")
  if (!existsSync(marker)) return true
  const inputs = [...BUILD_INPUTS.map((f) => join(dir, f)), ...SHARED_BUILD_INPUTS]
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

const tgz = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".tgz"))
    .map((f) => join(dir, f))

/** A blank project in `dir` with `specs` installed by npm from the registry (no lockfile, metadata revalidated). */
const install = async (dir: string, manifest: object, specs: ReadonlyArray<string>) => {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ private: true, ...manifest })}\n`)
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-online", ...specs], dir)
}

export default async function setup(project: TestProject) {
  await buildStale()
  const tmp = mkdtempSync(join(tmpdir(), "0g-packaging-"))
  const packDir = join(tmp, "tarballs")
  const cliPackDir = join(tmp, "cli-tarball")
  // The router (@0g-compute/router) is its own product, not part of the SDK's library set: the CLI bundles it, and
  // cli.test.ts runs it from the installed CLI.
  await run(
    "sh",
    [
      "scripts/pnpm.sh",
      "-r",
      "--filter",
      "./packages/*",
      "--filter",
      "!@0g-compute/router",
      "pack",
      "--pack-destination",
      packDir,
    ],
    ROOT,
  )
  await run("sh", ["scripts/pnpm.sh", "--filter", "./apps/cli", "pack", "--pack-destination", cliPackDir], ROOT)
  const libraries = tgz(packDir)
  if (libraries.length !== LIBRARIES.length) throw new Error(`expected ${LIBRARIES.length} tarballs, got ${libraries}`)
  const cliTarball = tgz(cliPackDir)
  const effectLatest = JSON.parse(await run("npm", ["view", "effect", "version", "--json"], tmp)) as string
  if (!/^4\.\d+\.\d+$/.test(effectLatest)) throw new Error(`npm view effect version: ${effectLatest}`)

  const appDir = join(tmp, "app")
  const consumerDir = join(tmp, "consumer")
  const cliOnlyDir = join(tmp, "cli")
  const withoutDevnet = libraries.filter((f) => !f.includes("-devnet-"))
  // One npm install per project: the tarballs' `0.1.0` ranges on each other resolve to the tarballs on the same line.
  await Promise.all([
    install(appDir, { name: "blank", type: "module" }, [...libraries, ...cliTarball, "ethers@6"]),
    install(consumerDir, { name: "consumer" }, [
      ...withoutDevnet,
      "ethers@6",
      "openai@6",
      `effect@${effectLatest}`,
      "typescript@5.9",
      "@types/node@20",
    ]),
    install(cliOnlyDir, { name: "cli-only" }, cliTarball),
  ])
  project.provide("appDir", appDir)
  project.provide("packDir", packDir)
  project.provide("consumerDir", consumerDir)
  project.provide("cliDir", cliOnlyDir)
  project.provide("effectLatest", effectLatest)
  return () => {
    if (process.env.PACKAGING_KEEP !== "1") rmSync(tmp, { recursive: true, force: true })
  }
}
