import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { readSources } from "../scripts/build-config.mjs"
import { SNAPSHOT, storageLines } from "../scripts/storage-layout.mjs"

// The contracts run behind beacon proxies, so a new implementation that moves one field reads every existing
// account wrong. test/storage-layout.txt was taken from the sources before the shared Solidity (RefundQueue,
// ServingBase) was extracted; a deliberate layout change must rewrite it (node scripts/storage-layout.mjs --write).
describe("storage layout behind the proxies", () => {
  const lines = storageLines()

  it("is unchanged, slot for slot and member for member", () => {
    expect(`${lines.join("\n")}\n`).toBe(readFileSync(SNAPSHOT, "utf8"))
  })

  it("reaches the nested members of each ERC-7201 namespace", () => {
    expect(lines).toContain("InferenceServing._status 1+0 uint256")
    expect(lines).toContain("InferenceLayout.accounts[k].refunds[i].amount 1+0 uint256")
    expect(lines).toContain("FineTuningLayout.accounts[k].refunds[i]._deprecated_processed 3+0 bool")
    expect(lines).toContain("FineTuningLayout.accounts[k].deliverables[k].settled 4+0 bool")
    expect(lines.filter((l) => l.startsWith("LedgerLayout.")).length).toBeGreaterThan(10)
  })

  it("notices two account fields swapped", () => {
    const sources = readSources()
    const file = "solidity/inference/InferenceTypes.sol"
    const original = sources[file] as string
    const swapped = original.replace(
      "    bool acknowledged;\n    uint256 validRefundsLength;\n",
      "    uint256 validRefundsLength;\n    bool acknowledged;\n",
    )
    expect(swapped).not.toBe(original)
    const moved = storageLines({ ...sources, [file]: swapped })
    expect(moved).toContain("InferenceLayout.accounts[k].validRefundsLength 7+0 uint256")
    expect(moved).not.toEqual(lines)
  })
})
