#!/usr/bin/env node
// Compiles solidity/storage/*.sol with the solc 0.8.22 wasm build into artifacts/DevnetFlow.json and
// artifacts/DevnetMarket.json. Each artifact records the sha256 of its inputs (sources, compiler, settings) so a test
// can tell when artifacts are stale.   node src/storage/compile.mjs
import { createHash } from "node:crypto"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..")
const SOURCE_DIR = join(PACKAGE_DIR, "solidity", "storage")
const ARTIFACTS_DIR = join(PACKAGE_DIR, "artifacts")
const SETTINGS = { optimizer: { enabled: true, runs: 200 }, evmVersion: "paris" }
const CONTRACTS = { DevnetFlow: "DevnetFlow.sol", DevnetMarket: "DevnetMarket.sol" }

/** sha256 over the sorted sources, the compiler version and the settings. */
export function storageSourceHash(version) {
  const h = createHash("sha256")
  for (const f of readdirSync(SOURCE_DIR)
    .filter((x) => x.endsWith(".sol"))
    .sort()) {
    h.update(`${f}\0`)
    h.update(readFileSync(join(SOURCE_DIR, f)))
    h.update("\0")
  }
  h.update(JSON.stringify({ version, settings: SETTINGS }))
  return `0x${h.digest("hex")}`
}

export const SOLC_VERSION = "0.8.22"

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const solc = createRequire(join(PACKAGE_DIR, "package.json"))("solc")
  if (!solc.version().startsWith(SOLC_VERSION))
    throw new Error(`solc ${solc.version()} found, ${SOLC_VERSION} required`)
  const sources = {}
  for (const file of Object.values(CONTRACTS)) sources[file] = { content: readFileSync(join(SOURCE_DIR, file), "utf8") }
  const input = {
    language: "Solidity",
    sources,
    settings: { ...SETTINGS, outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input)))
  for (const e of output.errors ?? []) process.stderr.write(`${e.formattedMessage}\n`)
  if ((output.errors ?? []).some((e) => e.severity === "error")) process.exit(1)
  const sourceHash = storageSourceHash(SOLC_VERSION)
  for (const [name, file] of Object.entries(CONTRACTS)) {
    const c = output.contracts[file][name]
    const artifact = { contractName: name, abi: c.abi, bytecode: `0x${c.evm.bytecode.object}`, sourceHash }
    writeFileSync(join(ARTIFACTS_DIR, `${name}.json`), `${JSON.stringify(artifact, null, 2)}\n`)
  }
  process.stdout.write(`compiled ${Object.keys(CONTRACTS).join(", ")}\n`)
}
