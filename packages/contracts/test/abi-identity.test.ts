import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { type ArtifactName, loadArtifact } from "../src/node/index.js"

interface Param {
  readonly name: string
  readonly type: string
  readonly internalType?: string
  readonly indexed?: boolean
  readonly components?: readonly Param[]
}
interface Entry {
  readonly type: string
  readonly name?: string
  readonly inputs?: readonly Param[]
  readonly outputs?: readonly Param[]
  readonly stateMutability?: string
  readonly anonymous?: boolean
}

const REFERENCE_DIR = fileURLToPath(new URL("./reference", import.meta.url))
const CONTRACTS = ["LedgerManager", "InferenceServing", "FineTuningServing"] as const satisfies readonly ArtifactName[]
/** User-facing ABI entries we add on purpose beyond the live ABI. Deliberately none. */
const DELIBERATE_EXTRAS: Record<(typeof CONTRACTS)[number], readonly string[]> = {
  LedgerManager: [],
  InferenceServing: [],
  FineTuningServing: [],
}

const canonical = (p: Param): string =>
  p.type.startsWith("tuple") ? `(${(p.components ?? []).map(canonical).join(",")})${p.type.slice(5)}` : p.type
const signature = (e: Entry): string => `${e.type} ${e.name ?? ""}(${(e.inputs ?? []).map(canonical).join(",")})`
const describeEntry = (e: Entry) => ({
  inputs: (e.inputs ?? []).map((p) => `${canonical(p)}${p.indexed ? " indexed" : ""}`),
  outputs: (e.outputs ?? []).map(canonical),
  stateMutability: e.stateMutability ?? null,
  anonymous: e.anonymous ?? false,
})
/** Names and internalTypes too, recursively: what generated clients and decoders see. */
const named = (p: Param): unknown => ({
  name: p.name,
  internalType: p.internalType ?? null,
  indexed: p.indexed ?? false,
  components: (p.components ?? []).map(named),
})

function readReference(name: string): Entry[] {
  const raw = JSON.parse(readFileSync(`${REFERENCE_DIR}/${name}.json`, "utf8")) as Entry[] | { abi: Entry[] }
  return Array.isArray(raw) ? raw : raw.abi
}

describe.each(CONTRACTS)("%s ABI", (name) => {
  const reference = readReference(name)
  const ours = loadArtifact(name).abi as unknown as Entry[]
  const oursBySig = new Map(ours.map((e) => [signature(e), e]))
  const refBySig = new Map(reference.map((e) => [signature(e), e]))

  it("has no duplicate signatures", () => {
    expect(oursBySig.size).toBe(ours.length)
    expect(refBySig.size).toBe(reference.length)
  })

  it.each(["function", "event", "error"] as const)("contains every reference %s with identical shape", (kind) => {
    const wanted = reference.filter((e) => e.type === kind)
    expect(wanted.length).toBeGreaterThan(0)
    for (const ref of wanted) {
      const mine = oursBySig.get(signature(ref))
      expect(mine, `missing ${signature(ref)}`).toBeDefined()
      expect(describeEntry(mine as Entry), signature(ref)).toEqual(describeEntry(ref))
    }
  })

  it("matches parameter names and internal types", () => {
    for (const ref of reference) {
      const mine = oursBySig.get(signature(ref)) as Entry
      expect((mine.inputs ?? []).map(named), signature(ref)).toEqual((ref.inputs ?? []).map(named))
      expect((mine.outputs ?? []).map(named), signature(ref)).toEqual((ref.outputs ?? []).map(named))
    }
  })

  it("has constructor and receive exactly where the reference has them", () => {
    for (const kind of ["constructor", "receive", "fallback"]) {
      const r = reference.filter((e) => e.type === kind).map(describeEntry)
      const o = ours.filter((e) => e.type === kind).map(describeEntry)
      expect(o, kind).toEqual(r)
    }
  })

  it("adds nothing user-facing beyond the deliberate extras", () => {
    const extras = ours.filter((e) => !refBySig.has(signature(e))).map(signature)
    expect(extras).toEqual(DELIBERATE_EXTRAS[name])
  })
})
