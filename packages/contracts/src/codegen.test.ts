import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Interface } from "ethers"
import { describe, expect, expectTypeOf, it } from "vitest"
import { ARTIFACTS_DIR, CONTRACTS, GENERATED_DIR, generateAll, generateModule, readAbi } from "../codegen/generate.mjs"
import { fineTuningServing, inferenceServing, ledgerManager } from "./clients.js"
import {
  FineTuningServingAbi,
  FineTuningServingErrorSelectors,
  InferenceServingAbi,
  InferenceServingErrorSelectors,
  InferenceServingEventTopics,
  type InferenceServingTypes,
  LedgerManagerAbi,
  LedgerManagerErrorSelectors,
  type LedgerManagerTypes,
} from "./generated/index.js"

const abis = {
  LedgerManager: LedgerManagerAbi,
  InferenceServing: InferenceServingAbi,
  FineTuningServing: FineTuningServingAbi,
}
const selectors = {
  LedgerManager: LedgerManagerErrorSelectors,
  InferenceServing: InferenceServingErrorSelectors,
  FineTuningServing: FineTuningServingErrorSelectors,
} as Record<string, Record<string, string>>

describe("codegen", () => {
  it("committed src/generated matches a fresh generation from artifacts/*.json", () => {
    const files = generateAll()
    expect([...files.keys()].sort()).toEqual([...CONTRACTS.map((c) => `${c}.ts`), "index.ts"].sort())
    for (const [file, text] of files) {
      expect(readFileSync(join(GENERATED_DIR, file), "utf8"), `${file} is stale: run pnpm codegen`).toBe(text)
    }
  })

  it("embeds each artifact's ABI unchanged", () => {
    for (const name of CONTRACTS) {
      expect(abis[name]).toEqual(readAbi(join(ARTIFACTS_DIR, `${name}.json`)))
    }
  })

  it("computes the same error selectors as ethers, including the spec's table values", () => {
    for (const name of CONTRACTS) {
      const iface = new Interface(abis[name])
      const fromEthers: Record<string, string> = {}
      iface.forEachError((e) => {
        fromEthers[e.name] = e.selector
      })
      expect(selectors[name]).toEqual(fromEthers)
    }
    expect(LedgerManagerErrorSelectors.LedgerNotExists).toBe("0x7d2d536b")
    expect(InferenceServingErrorSelectors.LimitTooLarge).toBe("0x062ba4db")
    expect(FineTuningServingErrorSelectors.LimitTooLarge).toBe("0xbad7206a")
    expect(InferenceServingEventTopics.BalanceUpdated).toBe(
      new Interface(InferenceServingAbi).getEvent("BalanceUpdated")?.topicHash,
    )
  })

  it("is deterministic and rejects ABIs it cannot type", () => {
    const abi = readAbi(join(ARTIFACTS_DIR, "LedgerManager.json"))
    expect(generateModule("LedgerManager", abi)).toBe(generateModule("LedgerManager", abi))
    // Only the embedded ABI follows the artifact's order; the types do not depend on it.
    const types = (text: string) => text.replace(/export const LedgerManagerAbi = \[[\s\S]*?\n\] as const/, "")
    const forward = types(generateModule("LedgerManager", abi))
    expect(forward).toContain("export interface LedgerManagerErrorArgs")
    expect(forward).toBe(types(generateModule("LedgerManager", [...abi].reverse())))
    const overloaded = [
      { type: "function", name: "f", inputs: [], outputs: [], stateMutability: "view" },
      { type: "function", name: "f", inputs: [{ name: "a", type: "uint256" }], outputs: [], stateMutability: "view" },
    ]
    expect(() => generateModule("X", overloaded)).toThrow(/overloaded/)
  })

  it("types the clients from the ABI (compile-time checks)", () => {
    const lm = ledgerManager("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0")
    expectTypeOf(lm.getLedger.staticCall).returns.resolves.toEqualTypeOf<LedgerManagerTypes.Ledger>()
    expectTypeOf(lm.MIN_ACCOUNT_BALANCE.staticCall).returns.resolves.toEqualTypeOf<bigint>()
    const inf = inferenceServing("0x0165878A594ca255338adfa4d48449f69242Eb8F")
    expectTypeOf(inf.getAccount.staticCall).returns.resolves.toEqualTypeOf<InferenceServingTypes.Account>()
    expectTypeOf<InferenceServingTypes.Account["refunds"][number]["amount"]>().toEqualTypeOf<bigint>()
    const ft = fineTuningServing("0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0")
    expect(typeof ft.getDeliverables).toBe("function")
    expect(lm.target).toBe("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0")
  })
})
