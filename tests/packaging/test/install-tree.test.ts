/**
 * What a fresh npm install of our tarballs puts on disk: one copy of effect (the app's own, at the registry's latest),
 * of ethers and of openai; install sizes within budget; the CLI carrying its dependencies inside its bundle.
 */
import { spawnSync } from "node:child_process"
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, inject, it } from "vitest"

const appDir = inject("appDir")
const consumerDir = inject("consumerDir")
const cliDir = inject("cliDir")
const effectLatest = inject("effectLatest")
const LIBRARIES = ["core", "contracts", "crypto", "storage", "inference", "fine-tuning", "sdk", "devnet"]
const MB = 1_000_000
/** Issue 10's budgets: the official @0gfoundation/0g-compute-ts-sdk 0.9.0 (SDK + CLI) installs in 184 MB. */
const LIBRARY_SET_BUDGET = 70 * MB
const OFFICIAL_INSTALL = 184 * MB
/** Installed in the consumer project for the type-check tests, not part of what our packages cost. */
const TOOLING = new Set(["typescript", "@types", "undici-types"])

interface Copy {
  readonly path: string
  readonly version: string
}

/** Every installed copy of package `name` under `dir`'s node_modules, nested ones included. */
const copiesOf = (dir: string, name: string): Copy[] => {
  const found: Copy[] = []
  const visit = (modules: string) => {
    if (!existsSync(modules)) return
    for (const entry of readdirSync(modules)) {
      const scoped = entry.startsWith("@") ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry]
      for (const pkg of scoped) {
        const at = join(modules, pkg)
        if (pkg === name) {
          const manifest = JSON.parse(readFileSync(join(at, "package.json"), "utf8"))
          found.push({ path: at, version: manifest.version })
        }
        visit(join(at, "node_modules"))
      }
    }
  }
  visit(join(dir, "node_modules"))
  return found
}

/** Bytes of regular files under `path`, links not followed (what the install writes). */
const sizeOf = (path: string): number => {
  const s = lstatSync(path)
  if (!s.isDirectory()) return s.isFile() ? s.size : 0
  let total = 0
  for (const name of readdirSync(path)) total += sizeOf(join(path, name))
  return total
}

const modulesSize = (dir: string, skip: ReadonlySet<string> = new Set()): number => {
  const modules = join(dir, "node_modules")
  return readdirSync(modules)
    .filter((n) => !skip.has(n))
    .reduce((sum, n) => sum + sizeOf(join(modules, n)), 0)
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`

describe("one copy of each shared dependency", () => {
  it.each(["effect", "ethers", "openai"])("the consumer app holds exactly one %s", (name) => {
    expect(copiesOf(consumerDir, name).map((c) => c.path)).toEqual([join(consumerDir, "node_modules", name)])
  })

  it("the app's own effect@latest is the one our packages use", () => {
    expect(copiesOf(consumerDir, "effect").map((c) => c.version)).toEqual([effectLatest])
    // a second app with every tarball (devnet and CLI included) and no effect of its own: still one copy
    expect(copiesOf(appDir, "effect")).toHaveLength(1)
    expect(copiesOf(appDir, "ethers")).toHaveLength(1)
  })

  it.each(LIBRARIES)("@0g-compute/%s: effect, ethers (and openai) are peers with ranges, engines.node set", (name) => {
    const m = JSON.parse(readFileSync(join(appDir, "node_modules", "@0g-compute", name, "package.json"), "utf8"))
    for (const shared of ["effect", "ethers", "openai"]) expect(m.dependencies?.[shared], shared).toBeUndefined()
    expect(Object.keys(m.dependencies ?? {}).filter((d) => d.startsWith("@effect/"))).toEqual([])
    expect(m.peerDependencies.effect).toMatch(/^\^4\.\d+\.\d+$/)
    expect(m.peerDependencies.ethers).toMatch(/^\^6\./)
    expect(m.engines.node).toBe(">=20.19")
  })
})

describe("install size", () => {
  it(`the seven libraries with ethers and openai add at most ${mb(LIBRARY_SET_BUDGET)} to an app that has effect`, () => {
    const total = modulesSize(consumerDir, TOOLING)
    const effect = sizeOf(join(consumerDir, "node_modules", "effect"))
    const ours = sizeOf(join(consumerDir, "node_modules", "@0g-compute"))
    console.log(
      `[packaging] library set: ${mb(total)} in all = effect ${mb(effect)} (once) + ${mb(total - effect)} ` +
        `(of which @0g-compute/* ${mb(ours)}); budget without effect ${mb(LIBRARY_SET_BUDGET)}`,
    )
    expect(total - effect).toBeLessThanOrEqual(LIBRARY_SET_BUDGET)
  })

  it("the CLI installs within the official SDK's 184 MB and carries effect, ethers and openai in its bundle", () => {
    const total = modulesSize(cliDir)
    console.log(`[packaging] @0g-compute/cli install: ${mb(total)} (official SDK + CLI: ${mb(OFFICIAL_INSTALL)})`)
    expect(total).toBeLessThanOrEqual(OFFICIAL_INSTALL)
    for (const bundled of ["effect", "ethers", "openai", "tsx", "@0g-compute/core"]) {
      expect(copiesOf(cliDir, bundled), bundled).toEqual([])
    }
    const manifest = JSON.parse(readFileSync(join(cliDir, "node_modules/@0g-compute/cli/package.json"), "utf8"))
    // PGlite (the router's embedded Postgres) loads its WASM beside its own module, so it is installed, not bundled.
    expect(Object.keys(manifest.dependencies).sort()).toEqual(["@electric-sql/pglite", "@foundry-rs/anvil"])
    expect(manifest.engines.node).toBe(">=20.19")
    const help = spawnSync(join(cliDir, "node_modules/.bin/0g-compute"), ["--help"], { encoding: "utf8" })
    expect(help.status).toBe(0)
  })
})
