/** The packed tarballs, installed into a blank project with npm, resolve every export and run an example per package. */
import { execFileSync } from "node:child_process"
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, inject, it } from "vitest"

const appDir = inject("appDir")
const packDir = inject("packDir")
const installed = (name: string) => join(appDir, "node_modules", "@0g-compute", name)
const manifest = (name: string) => JSON.parse(readFileSync(join(installed(name), "package.json"), "utf8"))
const LIBRARIES = ["core", "contracts", "crypto", "storage", "inference", "fine-tuning", "sdk", "devnet"]

/** Every file path an exports map points at. */
const targets = (exports: unknown): string[] =>
  typeof exports === "string"
    ? [exports]
    : exports !== null && typeof exports === "object"
      ? Object.values(exports).flatMap(targets)
      : []

describe("pnpm pack → npm install", () => {
  it("packs one tarball per library package", () => {
    expect(readdirSync(packDir).sort()).toEqual(LIBRARIES.map((p) => `0g-compute-${p}-0.1.0.tgz`).sort())
  })

  it.each(LIBRARIES)("%s: published manifest points at dist/ and every export target exists", (name) => {
    const m = manifest(name)
    expect(JSON.stringify(m)).not.toMatch(/workspace:/)
    const files = targets(m.exports)
    expect(files.length).toBeGreaterThan(0)
    for (const f of files) {
      expect(f, `${name}: ${f}`).toMatch(/^\.\/dist\/.+\.(js|d\.ts)$/)
      expect(existsSync(join(installed(name), f)), `${name}: ${f} missing`).toBe(true)
    }
    const root = m.exports["."]
    expect(JSON.stringify(root)).toContain("./dist/index.d.ts")
  })

  it("ships the files the dist code loads at run time", () => {
    expect(existsSync(join(installed("storage"), "dist/node/hash-worker.mjs"))).toBe(true)
    expect(existsSync(join(installed("crypto"), "dist/node/decrypt-worker.mjs"))).toBe(true)
    for (const a of ["LedgerManager", "InferenceServing", "FineTuningServing", "BeaconProxy", "UpgradeableBeacon"]) {
      expect(existsSync(join(installed("contracts"), "artifacts", `${a}.json`)), a).toBe(true)
    }
    for (const a of ["DevnetFlow", "DevnetMarket"]) {
      expect(existsSync(join(installed("devnet"), "artifacts", `${a}.json`)), a).toBe(true)
    }
  })

  it.each(LIBRARIES)("%s: ships no tests and no test support (src/testing may import vitest)", (name) => {
    const walk = (dir: string, rel = ""): string[] =>
      readdirSync(dir).flatMap((n) => {
        if (rel === "" && n === "node_modules") return []
        const path = join(dir, n)
        return statSync(path).isDirectory() ? walk(path, `${rel}${n}/`) : [`${rel}${n}`]
      })
    const shipped = walk(installed(name))
    expect(shipped.some((f) => f.startsWith("src/"))).toBe(true)
    expect(shipped.filter((f) => /\.test\.ts$|(^|\/)testing\//.test(f))).toEqual([])
  })

  it("resolves the packages' dependencies on each other to the tarballs", () => {
    for (const name of LIBRARIES) {
      expect(existsSync(join(installed(name), "node_modules", "@0g-compute")), `${name} got a nested copy`).toBe(false)
    }
  })

  it("runs the example against every default and node entry", () => {
    copyFileSync(join(import.meta.dirname, "..", "fixtures", "example.mjs"), join(appDir, "example.mjs"))
    const out = JSON.parse(execFileSync(process.execPath, ["example.mjs"], { cwd: appDir, encoding: "utf8" }))
    expect(out.core).toEqual({ parsed: "1500000000000000000" })
    expect(out.contracts).toEqual({
      ledgerTarget: "0x0000000000000000000000000000000000000001",
      hasDepositFund: true,
      artifactAbiEntries: expect.any(Number),
      artifactHasBytecode: true,
      artifactNames: 5,
    })
    expect(out.contracts.artifactAbiEntries).toBeGreaterThan(10)
    expect(out.crypto.user).toBe(out.crypto.expected)
    expect(out.crypto.nodeExports).toBeGreaterThan(0)
    expect(out.crypto).toMatchObject({ modelChunks: 5, modelRestored: true })
    expect(out.storage).toEqual({
      root1000: "0xa1520264ae93cac619e22e8718fc4fa7ebdd23f493cad602434d2a58ff4868fb",
      // storage-vectors.json: 1 MiB of zeros
      root1MiB: "0x6e250d9abdbbb3993fce08de0395cdb56f0483e67d8762a798de011f6a50866a",
      // 3 MiB: above the worker threshold, so dist/node/hash-worker.mjs ran
      fileRoot: "0x3b5bfebb3b9e3ea465e85e20ac40f75cc9d6aa669be405ab87e16ddea7cdd6c4",
      memoryRoot: "0x3b5bfebb3b9e3ea465e85e20ac40f75cc9d6aa669be405ab87e16ddea7cdd6c4",
    })
    expect(out.inference).toEqual({
      reader: "function",
      client: "function",
      decoded: { TargetSeparated: true, ProviderType: "vllm" },
      gateway: "function",
    })
    expect(out.fineTuning).toEqual({ service: "function", facade: "function" })
    expect(out.sdk).toEqual({ createBroker: "function", nodeCreateBroker: "function" })
    expect(out.devnet).toEqual({ startDevnet: "function" })
  })
})
