#!/usr/bin/env node
// Compiles solidity/ with the solc 0.8.22 wasm build and writes artifacts/<Name>.json.
//   node scripts/compile.mjs            write artifacts
//   node scripts/compile.mjs --check    recompile and exit 1 if committed artifacts differ
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import {
  ARTIFACTS_DIR,
  CONTRACTS,
  computeSourceHash,
  PACKAGE_DIR,
  readSources,
  SETTINGS,
  SOLC_VERSION,
} from "./build-config.mjs"

const require = createRequire(join(PACKAGE_DIR, "package.json"))
const solc = require("solc")
const check = process.argv.includes("--check")
// --only=Name,Name compiles a subset (development aid; artifacts of the others are left untouched)
const only = process.argv
  .find((a) => a.startsWith("--only="))
  ?.slice(7)
  .split(",")
const selected = Object.entries(CONTRACTS).filter(([name]) => !only || only.includes(name))

if (!solc.version().startsWith(SOLC_VERSION.split("+")[0])) {
  throw new Error(`solc ${solc.version()} found, ${SOLC_VERSION} required`)
}

// OZ imports resolve through node_modules; our files use relative imports (already in `sources`).
const ozRoot = dirname(require.resolve("@openzeppelin/contracts/package.json"))
function findImport(path) {
  const prefix = "@openzeppelin/contracts/"
  if (!path.startsWith(prefix)) return { error: `import not found: ${path}` }
  const file = join(ozRoot, path.slice(prefix.length))
  return existsSync(file) ? { contents: readFileSync(file, "utf8") } : { error: `import not found: ${path}` }
}

const ours = readSources()
const sources = Object.fromEntries(Object.entries(ours).map(([k, content]) => [k, { content }]))
const outputSelection = {}
for (const [name, unit] of selected) {
  if (!sources[unit]) sources[unit] = { content: findImport(unit).contents }
  outputSelection[unit] ??= {}
  outputSelection[unit][name] = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]
}

const started = Date.now()
const input = { language: "Solidity", sources, settings: { ...SETTINGS, outputSelection } }
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }))
const errors = (output.errors ?? []).filter((e) => e.severity === "error")
for (const e of output.errors ?? []) {
  if (e.severity === "error" || !/shadows an existing declaration/.test(e.message))
    process.stderr.write(`${e.formattedMessage}\n`)
}
if (errors.length > 0) process.exit(1)

const sourceHash = computeSourceHash(ours)
const artifacts = {}
for (const [name, unit] of selected) {
  const c = output.contracts?.[unit]?.[name]
  if (!c) throw new Error(`no output for ${unit}:${name}`)
  artifacts[name] = {
    contractName: name,
    abi: c.abi,
    bytecode: `0x${c.evm.bytecode.object}`,
    deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
    sourceHash,
  }
}
const seconds = ((Date.now() - started) / 1000).toFixed(1)

if (check) {
  const stale = []
  for (const [name, fresh] of Object.entries(artifacts)) {
    const file = join(ARTIFACTS_DIR, `${name}.json`)
    const old = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined
    const same =
      old !== undefined &&
      old.bytecode === fresh.bytecode &&
      old.deployedBytecode === fresh.deployedBytecode &&
      old.sourceHash === fresh.sourceHash &&
      JSON.stringify(old.abi) === JSON.stringify(fresh.abi)
    if (!same) stale.push(name)
  }
  if (stale.length > 0) {
    process.stderr.write(
      `stale artifacts: ${stale.join(", ")} (run: pnpm --filter @0g-compute/contracts run compile)\n`,
    )
    process.exit(1)
  }
  process.stdout.write(`artifacts up to date (${seconds} s)\n`)
} else {
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
  for (const [name, a] of Object.entries(artifacts)) {
    writeFileSync(join(ARTIFACTS_DIR, `${name}.json`), `${JSON.stringify(a, null, 2)}\n`)
    const size = (a.deployedBytecode.length - 2) / 2
    process.stdout.write(
      `${name.padEnd(18)} deployed ${String(size).padStart(6)} bytes${size > 24576 ? "  EXCEEDS EIP-170" : ""}\n`,
    )
  }
  process.stdout.write(`compiled in ${seconds} s\n`)
}
