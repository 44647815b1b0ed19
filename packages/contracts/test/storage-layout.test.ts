import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { readSources } from "../scripts/build-config.mjs"
import { SNAPSHOT, storageLines } from "../scripts/storage-layout.mjs"

// The contracts run behind beacon proxies, so a new implementation that moves one field reads every existing
// account wrong. test/storage-layout.txt was taken from the sources before the shared Solidity (RefundQueue,
// ServingBase) was extracted; since then only labels changed (the three account key sets nested as `index`, an
// AccountIndex, at the same absolute slots). A deliberate layout change must rewrite it
// (node scripts/storage-layout.mjs --write).
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
    const moved = linesWithEdit(
      "solidity/inference/InferenceTypes.sol",
      "    bool acknowledged;\n    uint256 validRefundsLength;\n",
      "    uint256 validRefundsLength;\n    bool acknowledged;\n",
    )
    expect(moved).toContain("InferenceLayout.accounts[k].validRefundsLength 7+0 uint256")
    expect(moved).not.toEqual(lines)
  })

  // Both contracts hand shared/ServingAccounts.sol their Account as a Funds pointer at slot + 3.
  it("lays the shared Funds window exactly over balance, pendingRefund and refunds of both Account structs", () => {
    expect(lines).toContain("FundsLayout.refunds 2+0 struct Refund[]")
    expect(windowMisses(lines)).toEqual([])
  })

  it("notices a Funds window that no longer matches the accounts", () => {
    const moved = linesWithEdit(
      "solidity/shared/ServingAccounts.sol",
      "    uint256 balance;\n    uint256 pendingRefund;\n",
      "    uint256 pendingRefund;\n    uint256 balance;\n",
    )
    expect(windowMisses(moved)).toEqual([
      "InferenceLayout: pendingRefund 0+0 uint256",
      "InferenceLayout: balance 1+0 uint256",
      "FineTuningLayout: pendingRefund 0+0 uint256",
      "FineTuningLayout: balance 1+0 uint256",
    ])
  })
})

/** storageLines of the sources with `from` replaced by `to` in `file` (the edit must apply). */
function linesWithEdit(file: string, from: string, to: string): string[] {
  const sources = readSources()
  const original = sources[file] as string
  const edited = original.replace(from, to)
  expect(edited).not.toBe(original)
  return storageLines({ ...sources, [file]: edited })
}

/** The Funds members (`name slot+offset type`, relative to the window) that an account struct lacks at slot + 3. */
function windowMisses(lines: readonly string[]): string[] {
  const window = lines.filter((l) => l.startsWith("FundsLayout.")).map((l) => l.slice("FundsLayout.".length))
  const misses: string[] = []
  for (const owner of ["InferenceLayout", "FineTuningLayout"]) {
    const prefix = `${owner}.accounts[k].`
    const account = lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length))
    // nested refund members are compared by position: fine-tuning names the last one `_deprecated_processed`
    const shape = (members: string[]) =>
      members.filter((m) => m.startsWith("refunds[i].")).map((m) => m.split(" ").slice(1).join(" "))
    if (shape(account).join() !== shape(window).join()) misses.push(`${owner}: refunds[i]`)
    for (const member of window.filter((m) => !m.startsWith("refunds[i]."))) {
      const [name, at, ...type] = member.split(" ")
      const [slot, offset] = (at as string).split("+").map(Number) as [number, number]
      if (!account.includes(`${name} ${slot + 3}+${offset} ${type.join(" ")}`)) misses.push(`${owner}: ${member}`)
    }
  }
  return misses
}
