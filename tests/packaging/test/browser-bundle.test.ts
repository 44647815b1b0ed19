/**
 * Every library's default entry, as installed from its tarball, bundles for the browser: esbuild with
 * platform "browser" resolves the exports map without the `node` condition and fails on any Node built-in.
 */
import { builtinModules } from "node:module"
import { build } from "esbuild"
import { describe, expect, inject, it } from "vitest"

const appDir = inject("appDir")
const BROWSER_SAFE = ["core", "contracts", "crypto", "storage", "inference", "fine-tuning", "sdk"]
const BUILTINS = builtinModules.filter((m) => !m.startsWith("_"))
const builtinPattern = new RegExp(
  String.raw`(require\(|from\s*|import\(\s*)["'](node:[\w/]+|${BUILTINS.map((m) => m.replace("/", "\\/")).join("|")})["']`,
)

const bundle = (specifier: string) =>
  build({
    stdin: { contents: `export * from "${specifier}"`, resolveDir: appDir, loader: "js" },
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  })

describe("browser bundle of each default entry", () => {
  it.each(BROWSER_SAFE)("@0g-compute/%s bundles with no Node built-in", async (name) => {
    const result = await bundle(`@0g-compute/${name}`)
    expect(result.errors).toEqual([])
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.filter((i) => i.includes("@0g-compute") && i.includes("/node/"))).toEqual([])
    expect(inputs.filter((i) => i.startsWith("node:"))).toEqual([])
    const text = result.outputFiles[0]?.text ?? ""
    expect(text.match(builtinPattern)?.[0]).toBeUndefined()
  })

  it("fails on a node entry (the check has teeth)", async () => {
    await expect(bundle("@0g-compute/storage/node")).rejects.toThrow(/node:|built into node/)
  })
})
