import { readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import * as entry from "./index.js"

const SRC = dirname(fileURLToPath(import.meta.url))

/** Relative .js imports reachable from a module, as source paths. */
const reachable = (file: string, seen = new Set<string>()): Set<string> => {
  if (seen.has(file)) return seen
  seen.add(file)
  const text = readFileSync(file, "utf8")
  for (const m of text.matchAll(/from\s+"(\.[^"]+)\.js"/g)) reachable(resolve(dirname(file), `${m[1]}.ts`), seen)
  return seen
}

describe("package entry", () => {
  it("is browser-safe: nothing reachable from src/index.ts imports node: modules or the node entry", () => {
    const files = [...reachable(join(SRC, "index.ts"))]
    expect(files.length).toBeGreaterThan(10)
    for (const f of files) {
      const text = readFileSync(f, "utf8")
      expect(text, f).not.toMatch(/from\s+"node:|from\s+"(fs|path|child_process|net|os|worker_threads)"/)
      expect(f, f).not.toMatch(/[/\\]node[/\\]|[/\\]testing[/\\]/)
    }
  })

  it("exports both faces", () => {
    for (const name of [
      "Ledger",
      "LedgerClient",
      "createLedgerClient",
      "connectionStackLayer",
      "TxEngine",
      "ContractRevert",
      "decodeRevertData",
      "revertFromError",
      "ledgerManager",
      "inferenceServing",
      "fineTuningServing",
      "LedgerManagerAbi",
      "LedgerNotFound",
      "TransactionTimeout",
    ]) {
      expect(entry, name).toHaveProperty(name)
    }
  })
})
