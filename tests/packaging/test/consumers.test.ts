/**
 * TypeScript consumers as they are set up in the wild, each type-checking the same small app with `tsc --strict`
 * against the installed tarballs: ESM + nodenext, CommonJS + nodenext (ethers' CommonJS declarations must meet ours),
 * ESM + `moduleResolution: bundler` (Vite / Next.js), and a browser page (DOM lib, no Node types) that is then
 * bundled for the browser. The CommonJS app also runs: `require` of our ESM build next to CommonJS ethers.
 */
import { execFile, execFileSync } from "node:child_process"
import { copyFileSync, cpSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { build } from "esbuild"
import { beforeAll, describe, expect, inject, it } from "vitest"

const consumerDir = inject("consumerDir")
const fixtures = join(import.meta.dirname, "..", "fixtures", "consumers")
const tsc = join(consumerDir, "node_modules", "typescript", "bin", "tsc")

const typecheck = (setup: string) =>
  new Promise<{ code: number; out: string }>((resolve) => {
    execFile(process.execPath, [tsc, "-p", join(consumerDir, setup)], { encoding: "utf8" }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    )
  })

// Two type-checks at a time (the suite runs on two cores); each test awaits its own.
const checks = new Map<string, Promise<{ code: number; out: string }>>()
beforeAll(() => {
  for (const setup of ["esm", "cjs", "bundler", "browser"]) {
    cpSync(join(fixtures, setup), join(consumerDir, setup), { recursive: true })
    if (setup !== "browser") copyFileSync(join(fixtures, "app.ts"), join(consumerDir, setup, "app.ts"))
  }
  let chain: Promise<unknown> = Promise.resolve()
  for (const pair of [
    ["esm", "cjs"],
    ["bundler", "browser"],
  ]) {
    const started = chain.then(() => pair.map((s) => typecheck(s)))
    for (const [i, s] of pair.entries())
      checks.set(
        s,
        started.then((ps) => ps[i] as Promise<{ code: number; out: string }>),
      )
    chain = started.then((ps) => Promise.all(ps))
  }
})

describe("tsc --strict in each consumer setup", () => {
  it.each(["esm", "cjs", "bundler", "browser"])(
    "%s type-checks",
    async (setup) => {
      const result = await checks.get(setup)
      expect(result?.out).toBe("")
      expect(result?.code).toBe(0)
    },
    240_000,
  )
})

describe("the consumer apps at run time and in a bundle", () => {
  it("CommonJS requires our ESM build next to CommonJS ethers", () => {
    const out = JSON.parse(
      execFileSync(process.execPath, ["run.cjs"], { cwd: join(consumerDir, "cjs"), encoding: "utf8" }),
    )
    expect(out).toEqual({
      createBroker: "function",
      parsed: "1500000000000000000",
      formatted: "1.5",
      errorTag: "InsufficientBalance",
      isError: true,
      address: "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A",
    })
  })

  it("the browser page bundles with no Node built-in", async () => {
    const result = await build({
      entryPoints: [join(consumerDir, "browser", "app.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      minify: true,
      write: false,
      metafile: true,
      logLevel: "silent",
    })
    expect(result.errors).toEqual([])
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.filter((i) => i.startsWith("node:") || /@0g-compute\/[^/]+\/dist\/node\//.test(i))).toEqual([])
    const js = result.outputFiles[0]?.contents ?? new Uint8Array()
    console.log(
      `[packaging] browser page (createBroker + listAllServices): ${(gzipSync(js).length / 1024).toFixed(0)} KiB gzip`,
    )
    expect(js.length).toBeGreaterThan(0)
  })
})
