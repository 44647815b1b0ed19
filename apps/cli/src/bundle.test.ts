/** The production bundle (scripts/bundle.ts) behaves like the dev binary: built fresh here, never a stale dist. */
import { spawnSync } from "node:child_process"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bundleCli } from "../scripts/bundle.js"
import { runCli } from "./testing/cli.js"

const appDir = fileURLToPath(new URL("..", import.meta.url))
let dir = ""
let metafile: Awaited<ReturnType<typeof bundleCli>>["metafile"] | undefined

const runBundle = (args: ReadonlyArray<string>) => {
  const r = spawnSync(process.execPath, [join(dir, "0g-compute.mjs"), ...args], {
    encoding: "utf8",
    env: { ...process.env, ZG_PRIVATE_KEY: undefined, ZG_KEYSTORE_PASSWORD: undefined },
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe("bundle", () => {
  beforeAll(async () => {
    // Inside the app so the bundle resolves its externals exactly as dist/ does.
    dir = await mkdtemp(join(appDir, "node_modules", ".bundle-test-"))
    metafile = (await bundleCli(dir)).metafile
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it("--help and --version", async () => {
    const help = runBundle(["--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("customer toolkit for the 0G Compute Network")
    for (const group of ["devnet", "ledger", "inference", "fine-tuning", "storage", "keys", "doctor", "journey"])
      expect(help.stdout).toContain(group)
    expect(help.stdout).toBe((await runCli(["--help"])).stdout)
    // Both print the version of the CLI's package.json (src/version.ts; inlined by esbuild in the bundle).
    const { version: declared } = JSON.parse(await readFile(join(appDir, "package.json"), "utf8")) as {
      version: string
    }
    const version = runBundle(["--version"])
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toBe(`0g-compute v${declared}`)
    expect(version.stdout).toBe((await runCli(["--version"])).stdout)
  })

  it("--help loads no ethers: the entry chunk's static imports (core through @0g-compute/core/light) hold none", () => {
    const outputs = metafile?.outputs ?? {}
    const entry = Object.keys(outputs).find((p) => p.endsWith("0g-compute.mjs")) ?? ""
    const loaded = new Set<string>()
    const visit = (out: string) => {
      if (loaded.has(out)) return
      loaded.add(out)
      for (const i of outputs[out]?.imports ?? []) if (i.kind === "import-statement" && !i.external) visit(i.path)
    }
    visit(entry)
    const inputs = [...loaded].flatMap((o) => Object.keys(outputs[o]?.inputs ?? {}))
    expect(inputs.some((i) => i.includes("packages/core/src/amounts.ts"))).toBe(true)
    expect(inputs.filter((i) => /node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?ethers\//.test(i))).toEqual([])
    expect(inputs.filter((i) => i.includes("packages/core/src/chain.ts"))).toEqual([])
    // The whole bundle does carry ethers, in a chunk loaded by the commands that need it.
    const all = Object.values(outputs).flatMap((o) => Object.keys(o.inputs))
    expect(all.some((i) => /node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?ethers\//.test(i))).toBe(true)
  })

  it("storage root hashes a file (over 8 segments: the bundled worker) as the dev binary does", async () => {
    const file = join(dir, "data.bin")
    await writeFile(file, Buffer.alloc(2_500_000, 7))
    const bundled = runBundle(["storage", "root", file, "--json"])
    expect(bundled.stderr).toBe("")
    expect(bundled.code).toBe(0)
    const dev = await runCli(["storage", "root", file, "--json"])
    expect(JSON.parse(bundled.stdout)).toEqual(JSON.parse(dev.stdout))
    expect(JSON.parse(bundled.stdout).root).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it("a handler error is one line, as from the dev binary", async () => {
    const args = ["--network", "nowhere", "ledger", "show"]
    const bundled = runBundle(args)
    const dev = await runCli(args)
    expect(bundled.code).toBe(dev.code)
    expect(bundled.stderr).toBe(dev.stderr)
  })
})
