/**
 * The doc-test harness itself: extraction, the one-module convention, and — the point of it — that a drifted
 * example fails (a type error is mapped to its README line, a throwing block is named with the error's `_tag`, a
 * leaked handle is caught), while a `no-run` block is type-checked but not run. No devnet: these snippets only use
 * the SDK's pure parts.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { composeModule, ImportConflict } from "../src/compose.js"
import { extractBlocks, UnclosedFence, UnknownFlag } from "../src/extract.js"
import type { PreludeData } from "../src/prelude.js"
import { PRELUDE_SPECIFIER, runModule, runVerdict, type TypeError_, typecheck, writeModule } from "../src/run.js"

const fence = "```"
const readme = (...blocks: ReadonlyArray<string>) =>
  `# Example\n\nSome prose.\n\n${blocks.join("\n\nMore prose.\n\n")}\n`
const ts = (code: string, flags = "") => `${fence}ts${flags ? ` ${flags}` : ""}\n${code}\n${fence}`

const PRELUDE: PreludeData = {
  rpcUrl: "http://127.0.0.1:1",
  privateKey: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  indexerUrl: "",
  flowAddress: "",
  inferenceProvider: "",
  fineTuningProvider: "",
  chatModel: "",
}

const GOOD = readme(
  ts(`import { formatZG, parseZG } from "@0g-compute/sdk"\nconst amount = parseZG("1.5")`),
  ts(`import { formatZG } from "@0g-compute/sdk"\nif (formatZG(amount * 2n) !== "3") throw new Error("wrong sum")`),
  ts(`// testnet only\nthrow new Error("a no-run block must not run")`, "no-run"),
  ts(`console.log(formatZG(amount), process.env.ZG_PRIVATE_KEY === privateKey, signer.address)`),
)
/** The same README after the API "drifted": parseZG renamed. */
const TYPE_DRIFT = GOOD.replace(`const amount = parseZG("1.5")`, `const amount = parseZG.fromDecimal("1.5")`)
/** Types fine, but the example's value is invalid at run time (the SDK rejects it with a typed error). */
const RUNTIME_DRIFT = GOOD.replace(`parseZG("1.5")`, `parseZG("1.5e0")`)
/** A no-run block is still type-checked. */
const NO_RUN_TYPE_ERROR = GOOD.replace(`throw new Error("a no-run block must not run")`, `const n: number = "x"`)
/** Imports something the package no longer exports. */
const BAD_IMPORT = readme(
  ts(`import { createBroker } from "@0g-compute/sdk"`),
  ts(`import { formatNeuron } from "@0g-compute/sdk"`),
)
/** Forgets to stop a background job: the script never exits. */
const LEAK = readme(ts(`setInterval(() => {}, 1000)`))

describe("doc-test harness", () => {
  let cwd: string
  const typeErrors = new Map<string, ReadonlyArray<TypeError_>>()
  const paths = new Map<string, string>()

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "docs-harness-"))
    const cases = {
      good: GOOD,
      typeDrift: TYPE_DRIFT,
      runtimeDrift: RUNTIME_DRIFT,
      noRunType: NO_RUN_TYPE_ERROR,
      badImport: BAD_IMPORT,
      leak: LEAK,
    }
    const modules = []
    for (const [name, text] of Object.entries(cases)) {
      const module = composeModule(`${name}.md`, extractBlocks(`${name}.md`, text), PRELUDE_SPECIFIER)
      const path = await writeModule(`self-test-${name}`, module)
      paths.set(name, path)
      modules.push({ name, path, module })
    }
    const checked = await typecheck(modules, "self-test")
    for (const m of modules) typeErrors.set(m.name, checked.get(m.path) ?? [])
    typeErrors.set("harness", checked.get("harness") ?? [])
  })
  afterAll(() => (cwd ? rm(cwd, { recursive: true, force: true }) : undefined))

  it("extracts ts/js blocks with their first line and flags, and shell blocks separately", () => {
    const blocks = extractBlocks("x.md", `${GOOD}\n${fence}sh\n0g-compute ledger show\n${fence}\n`)
    expect(blocks.filter((b) => b.kind === "code").map((b) => [b.line, b.flags])).toEqual([
      [6, []],
      [13, []],
      [20, ["no-run"]],
      [27, []],
    ])
    expect(blocks.find((b) => b.kind === "shell")?.code).toBe("0g-compute ledger show")
    expect(() => extractBlocks("x.md", `${fence}ts\nconst a = 1\n`)).toThrow(UnclosedFence)
    expect(() => extractBlocks("x.md", ts("1", "norun"))).toThrow(UnknownFlag)
  })

  it("hoists and merges imports; one name imported with two meanings is refused", () => {
    const module = composeModule("x.md", extractBlocks("x.md", GOOD), PRELUDE_SPECIFIER)
    expect(module.source.match(/^import .* from "@0g-compute\/sdk"$/gm)).toEqual([
      'import { formatZG, parseZG } from "@0g-compute/sdk"',
    ])
    expect(module.blocks.map((b) => b.run)).toEqual([true, true, false, true])
    const clash = readme(
      ts(`import { formatZG } from "@0g-compute/sdk"`),
      ts(`import { formatZG } from "@0g-compute/core"`),
    )
    expect(() => composeModule("x.md", extractBlocks("x.md", clash), PRELUDE_SPECIFIER)).toThrow(ImportConflict)
  })

  it("passes a correct README: blocks share scope, the no-run block is skipped, env and prelude are set", async () => {
    expect(typeErrors.get("harness")).toEqual([])
    expect(typeErrors.get("good")).toEqual([])
    const r = await runModule(paths.get("good")!, { cwd, prelude: PRELUDE, timeoutMs: 60_000 })
    expect(runVerdict(r)).toBeUndefined()
    expect(r.reached).toBe(3)
    expect(r.exec.stdout).toContain(`1.5 true 0x`)
  })

  it("fails a README whose example no longer type-checks, naming the README line", () => {
    const errors = typeErrors.get("typeDrift") ?? []
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ where: "typeDrift.md:7" })
    expect(errors[0]?.text).toContain("fromDecimal")
  })

  it("fails a README whose example throws, naming the block and the error's _tag", async () => {
    expect(typeErrors.get("runtimeDrift")).toEqual([])
    const r = await runModule(paths.get("runtimeDrift")!, { cwd, prelude: PRELUDE, timeoutMs: 60_000 })
    expect(r.reached).toBe(0)
    expect(r.failure?.tag).toBe("InvalidAmount")
    expect(runVerdict(r)).toMatch(/^threw InvalidAmount: /)
  })

  it("maps an error in a hoisted import to the README line it came from", () => {
    expect(typeErrors.get("badImport")?.map((e) => e.where)).toEqual(["badImport.md:12"])
  })

  it("type-checks no-run blocks", () => {
    expect(typeErrors.get("noRunType")?.map((e) => e.where)).toEqual(["noRunType.md:21"])
  })

  it("fails a README that leaves a handle open (its script would never exit)", async () => {
    expect(typeErrors.get("leak")).toEqual([])
    const r = await runModule(paths.get("leak")!, { cwd, prelude: PRELUDE, timeoutMs: 60_000, exitGraceMs: 2_000 })
    expect(r.done).toBe(true)
    expect(runVerdict(r)).toMatch(/did not exit/)
  })
})
