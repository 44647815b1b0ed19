// Shared by compile.mjs and the artifacts freshness test: what we compile, with which settings, and the
// sourceHash that ties committed artifacts to their inputs.
import { createHash } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, sep } from "node:path"
import { fileURLToPath } from "node:url"

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..")
export const SOLIDITY_DIR = join(PACKAGE_DIR, "solidity")
export const ARTIFACTS_DIR = join(PACKAGE_DIR, "artifacts")
export const SOLC_VERSION = "0.8.22+commit.4fc1097e"

export const SETTINGS = {
  viaIR: true,
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "istanbul",
}

/** Deployable contracts: artifact name -> source unit that defines it. */
export const CONTRACTS = {
  LedgerManager: "solidity/ledger/LedgerManager.sol",
  InferenceServing: "solidity/inference/InferenceServing.sol",
  FineTuningServing: "solidity/fine-tuning/FineTuningServing.sol",
  UpgradeableBeacon: "@openzeppelin/contracts/proxy/beacon/UpgradeableBeacon.sol",
  BeaconProxy: "@openzeppelin/contracts/proxy/beacon/BeaconProxy.sol",
}

/** Our .sol files as `{ "solidity/<rel>": content }`, keys sorted, '/' separators on every OS. */
export function readSources() {
  const out = {}
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name.endsWith(".sol"))
        out[relative(PACKAGE_DIR, full).split(sep).join("/")] = readFileSync(full, "utf8")
    }
  }
  walk(SOLIDITY_DIR)
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** sha256 over sorted (path, content) pairs of our sources plus compiler version and settings. */
export function computeSourceHash(sources = readSources()) {
  const h = createHash("sha256")
  for (const [path, content] of Object.entries(sources)) {
    h.update(`${path}\0${content.length}\0`)
    h.update(content)
    h.update("\0")
  }
  h.update(JSON.stringify({ compiler: SOLC_VERSION, settings: SETTINGS }))
  return `0x${h.digest("hex")}`
}
