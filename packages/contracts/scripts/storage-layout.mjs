#!/usr/bin/env node
// The storage the serving and ledger contracts keep behind their beacon proxies, as one line a slot: an upgrade
// must leave it unchanged. Covers the state variables and, through abstract probes, each ERC-7201 `Layout` struct
// down to the last nested member (solc's storageLayout only lists state variables), plus the shared `Funds` window
// both serving contracts lay over slots 3..5 of their Account structs.
//   node scripts/storage-layout.mjs            print
//   node scripts/storage-layout.mjs --write    write test/storage-layout.txt (the snapshot the test compares with)
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { PACKAGE_DIR, readSources, SETTINGS } from "./build-config.mjs"

export const SNAPSHOT = join(PACKAGE_DIR, "test", "storage-layout.txt")

const PROBES = `// SPDX-License-Identifier: MIT
pragma solidity 0.8.22;
import {FineTuningBase} from "../solidity/fine-tuning/FineTuningBase.sol";
import {InferenceBase} from "../solidity/inference/InferenceBase.sol";
import {LedgerBase} from "../solidity/ledger/LedgerBase.sol";
import {Funds} from "../solidity/shared/ServingAccounts.sol";
abstract contract FineTuningLayout is FineTuningBase { Layout internal layout; }
abstract contract InferenceLayout is InferenceBase { Layout internal layout; }
abstract contract LedgerLayout is LedgerBase { LedgerStorage internal layout; }
abstract contract FundsLayout { Funds internal layout; }
`
const UNITS = {
  LedgerManager: "solidity/ledger/LedgerManager.sol",
  InferenceServing: "solidity/inference/InferenceServing.sol",
  FineTuningServing: "solidity/fine-tuning/FineTuningServing.sol",
  FineTuningLayout: "probe/Layouts.sol",
  InferenceLayout: "probe/Layouts.sol",
  LedgerLayout: "probe/Layouts.sol",
  FundsLayout: "probe/Layouts.sol",
}

/** Lines `Contract.var.member[k]… slot+offset type` for the given sources (default: solidity/ as it is now). */
export function storageLines(ours = readSources()) {
  const require = createRequire(join(PACKAGE_DIR, "package.json"))
  const solc = require("solc")
  const oz = dirname(require.resolve("@openzeppelin/contracts/package.json"))
  const findImport = (path) => {
    const file = join(oz, path.replace("@openzeppelin/contracts/", ""))
    return existsSync(file) ? { contents: readFileSync(file, "utf8") } : { error: `import not found: ${path}` }
  }
  const sources = { ...Object.fromEntries(Object.entries(ours).map(([k, content]) => [k, { content }])) }
  sources["probe/Layouts.sol"] = { content: PROBES }
  const outputSelection = {}
  for (const [name, unit] of Object.entries(UNITS)) {
    outputSelection[unit] ??= {}
    outputSelection[unit][name] = ["storageLayout"]
  }
  const input = { language: "Solidity", sources, settings: { ...SETTINGS, outputSelection } }
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }))
  const fatal = (out.errors ?? []).filter((e) => e.severity === "error")
  if (fatal.length > 0) throw new Error(fatal.map((e) => e.formattedMessage).join("\n"))

  const lines = []
  for (const [name, unit] of Object.entries(UNITS)) {
    const { storage, types } = out.contracts[unit][name].storageLayout
    const walk = (typeId, path) => {
      const t = types[typeId]
      for (const m of t.members ?? []) {
        lines.push(`${path}.${m.label} ${m.slot}+${m.offset} ${types[m.type].label}`)
        walk(m.type, `${path}.${m.label}`)
      }
      if (t.value) walk(t.value, `${path}[k]`)
      if (t.base) walk(t.base, `${path}[i]`)
    }
    for (const v of storage) {
      // a probe's own slots do not matter: its struct lives at the ERC-7201 slot, so only offsets inside it count
      if (!name.endsWith("Layout")) lines.push(`${name}.${v.label} ${v.slot}+${v.offset} ${types[v.type].label}`)
      else if (v.label === "layout") walk(v.type, name)
    }
  }
  return lines
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = `${storageLines().join("\n")}\n`
  if (process.argv.includes("--write")) writeFileSync(SNAPSHOT, text)
  else process.stdout.write(text)
}
