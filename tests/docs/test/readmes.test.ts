/**
 * README examples are tests. Every ```ts / ```js block of every README (root, packages/*, apps/cli) is type-checked
 * (`tsc --strict`) and run against one devnet started here, one README per Node process (conventions: compose.ts;
 * what a README's code may rely on: prelude.ts). Each block is one test below, so the summary counts the doc-tests.
 * A README that drifts from the code fails: see harness.test.ts for the proof with broken snippets, and the last test
 * here for the sdk README's old `ledger.add("0.5")`.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Devnet, startDevnet } from "@0g-compute/devnet"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ComposedModule, composeModule } from "../src/compose.js"
import { type CodeBlock, extractBlocks } from "../src/extract.js"
import type { PreludeData } from "../src/prelude.js"
import {
  PRELUDE_SPECIFIER,
  README_PATHS,
  type RunResult,
  readReadme,
  runModule,
  runVerdict,
  type TypeError_,
  typecheck,
  writeModule,
} from "../src/run.js"

// DOCS_ONLY=packages/sdk/README.md (comma-separated) narrows a local run; the suite runs them all.
const only = process.env.DOCS_ONLY?.split(",")
const READMES = README_PATHS.filter((p) => only === undefined || only.includes(p)).map((path) => ({
  path,
  blocks: extractBlocks(path, readReadme(path)).filter((b) => b.kind === "code"),
}))
const WITH_CODE = READMES.filter((r) => r.blocks.length > 0)
const BLOCKS = WITH_CODE.flatMap((r) => r.blocks.map((b, index) => ({ ...b, index, id: `${b.file}:${b.line}` })))

/** Small chat-format dataset every README finds as `data.jsonl` in its working directory. */
export const DATASET = `${[
  {
    messages: [
      { role: "user", content: "What is 0G?" },
      { role: "assistant", content: "A decentralized AI network." },
    ],
  },
  {
    messages: [
      { role: "user", content: "Capital of France?" },
      { role: "assistant", content: "Paris." },
    ],
  },
  {
    messages: [
      { role: "user", content: "2 + 2?" },
      { role: "assistant", content: "4" },
    ],
  },
]
  .map((l) => JSON.stringify(l))
  .join("\n")}\n`

interface Outcome {
  readonly typeErrors: ReadonlyArray<TypeError_>
  readonly run: RunResult
}

const moduleName = (path: string) => path.replace(/\/README\.md$|\.md$/i, "").replace(/[^A-Za-z0-9]+/g, "-") || "root"

describe("README code blocks (doc-tests against the devnet)", () => {
  let devnet: Devnet
  const keys = new Map(WITH_CODE.map((r) => [r.path, Wallet.createRandom()]))
  const outcomes = new Map<string, Outcome>()
  const dirs: Array<string> = []
  let harnessErrors: ReadonlyArray<TypeError_> = []

  const preludeFor = (wallet: { privateKey: string }): PreludeData => ({
    rpcUrl: devnet.rpcUrl,
    privateKey: wallet.privateKey,
    indexerUrl: devnet.storage?.indexerUrl ?? "",
    flowAddress: devnet.storage?.flowAddress ?? "",
    inferenceProvider: devnet.inference[0]?.providerAddress ?? "",
    fineTuningProvider: devnet.services.fineTuning[0]?.provider.address ?? "",
    chatModel: devnet.inference[0]?.model ?? "",
  })
  const workdir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "docs-readme-"))
    dirs.push(dir)
    await writeFile(join(dir, "data.jsonl"), DATASET)
    return dir
  }
  const runReadme = async (path: string, blocks: ReadonlyArray<CodeBlock>, wallet: { privateKey: string }) => {
    const module = composeModule(path, blocks, PRELUDE_SPECIFIER)
    const file = await writeModule(`hostile-${moduleName(path)}`, module)
    return runModule(file, { cwd: await workdir(), prelude: preludeFor(wallet), timeoutMs: 300_000 })
  }

  beforeAll(async () => {
    devnet = await startDevnet({
      fund: [...keys.values()].map((w) => w.address),
      inference: { settleIntervalMs: 0 },
      storage: true,
      fineTuning: { stepDelayMs: 0, settlementPollMs: 50 },
    })
    const modules: Array<{ readme: string; path: string; module: ComposedModule }> = []
    for (const r of WITH_CODE) {
      const module = composeModule(r.path, r.blocks, PRELUDE_SPECIFIER)
      modules.push({ readme: r.path, path: await writeModule(moduleName(r.path), module), module })
    }
    const checked = await typecheck(modules, "readmes")
    harnessErrors = checked.get("harness") ?? []
    for (const m of modules) {
      const run = await runModule(m.path, {
        cwd: await workdir(),
        prelude: preludeFor(keys.get(m.readme) ?? Wallet.createRandom()),
        timeoutMs: 300_000,
      })
      outcomes.set(m.readme, { typeErrors: checked.get(m.path) ?? [], run })
    }
  })
  afterAll(async () => {
    await devnet?.stop()
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
    const noRun = BLOCKS.filter((b) => b.flags.includes("no-run")).length
    process.stdout.write(
      `\ndoc-tests: ${BLOCKS.length} README code blocks from ${WITH_CODE.length} READMEs type-checked, ${BLOCKS.length - noRun} run against the devnet (${noRun} no-run)\n`,
    )
  })

  it("the harness's own files type-check", () => {
    expect(harnessErrors).toEqual([])
  })

  it.each(BLOCKS)("$id", (block) => {
    const outcome = outcomes.get(block.file)
    expect(outcome, "README not run").toBeDefined()
    if (outcome === undefined) return
    const next = BLOCKS.find((b) => b.file === block.file && b.index === block.index + 1)
    const mine = outcome.typeErrors.filter((e) => {
      const [, line] = /:(\d+)$/.exec(e.where) ?? []
      if (line === undefined) return true // an error on a harness line of this README's module
      return Number(line) >= block.line && (next === undefined || Number(line) < next.line)
    })
    expect(mine.map((e) => `${e.where}: ${e.text}`)).toEqual([])
    if (block.flags.includes("no-run")) return
    const { run } = outcome
    if (run.reached < block.index) {
      const at = BLOCKS.find((b) => b.file === block.file && b.index === run.reached)
      expect.fail(`not reached: ${at ? `the block at ${at.id}` : "the module"} ${runVerdict(run) ?? "stopped"}`)
    }
    const lastRun = [...BLOCKS].reverse().find((b) => b.file === block.file && !b.flags.includes("no-run"))
    if (run.reached === block.index || lastRun?.index === block.index) {
      expect(runVerdict(run), `stdout:\n${run.exec.stdout}\nstderr:\n${run.exec.stderr}`).toBeUndefined()
    }
  })

  it.runIf(WITH_CODE.some((r) => r.path === "packages/sdk/README.md"))(
    "hostile: the sdk README with the old below-minimum ledger deposit fails at that block with BelowMinimum",
    async () => {
      const readme = WITH_CODE.find((r) => r.path === "packages/sdk/README.md")!
      const target = readme.blocks.findIndex((b) => /ledger\.add\("\d+"\)/.test(b.code))
      expect(target).toBeGreaterThanOrEqual(0)
      const drifted = readme.blocks.map((b) => ({
        ...b,
        code: b.code.replace(/ledger\.add\("\d+"\)/, 'ledger.add("0.5")'),
      }))
      const wallet = Wallet.createRandom()
      await fetch(devnet.rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "anvil_setBalance",
          params: [wallet.address, "0x3635C9ADC5DEA00000"],
        }),
      })
      const run = await runReadme(readme.path, drifted, wallet)
      expect(run.reached).toBe(target)
      expect(run.failure?.tag).toBe("BelowMinimum")
    },
  )
})
