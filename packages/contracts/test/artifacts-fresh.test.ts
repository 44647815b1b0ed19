import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { CONTRACTS, computeSourceHash, readSources } from "../scripts/build-config.mjs"
import { ARTIFACT_NAMES, loadArtifact } from "../src/node/index.js"

// A full recompile takes about a minute; `pnpm --filter @0g-compute/contracts run compile --check` does that.
// Here: the artifacts must have been produced from exactly the current sources and settings.
describe("committed artifacts", () => {
  const sources = readSources()
  const expected = computeSourceHash(sources)

  it("cover every deployable contract", () => {
    expect([...ARTIFACT_NAMES].sort()).toEqual(Object.keys(CONTRACTS).sort())
  })

  it.each(ARTIFACT_NAMES)("%s was compiled from the current sources", (name) => {
    expect(loadArtifact(name).sourceHash).toBe(expected)
  })

  it("hash covers every source file and its content", () => {
    const paths = Object.keys(sources)
    expect(paths).toContain("solidity/fine-tuning/FineTuningServing.sol")
    const first = paths[0] as string
    const edited = { ...sources, [first]: `${sources[first]}\n` }
    expect(computeSourceHash(edited)).not.toBe(expected)
    const { [first]: _dropped, ...fewer } = sources
    expect(computeSourceHash(fewer)).not.toBe(expected)
  })

  it.each(["LedgerManager", "InferenceServing", "FineTuningServing"] as const)(
    "%s runtime bytecode fits EIP-170 and targets istanbul (no PUSH0)",
    (name) => {
      const code = loadArtifact(name).deployedBytecode
      expect((code.length - 2) / 2).toBeLessThan(24_576)
      expect(hasPush0(code)).toBe(false)
    },
  )

  it("artifact files are plain JSON with the documented keys", () => {
    const raw = JSON.parse(readFileSync(new URL("../artifacts/LedgerManager.json", import.meta.url), "utf8")) as object
    expect(Object.keys(raw).sort()).toEqual(["abi", "bytecode", "contractName", "deployedBytecode", "sourceHash"])
  })
})

/** Walks opcodes (skipping PUSH data) looking for PUSH0 (0x5f), which istanbul does not have. */
function hasPush0(hex: string): boolean {
  const bytes = Buffer.from(hex.slice(2), "hex")
  // stop at the CBOR metadata: its length sits in the last two bytes
  const end = bytes.length - 2 - bytes.readUInt16BE(bytes.length - 2)
  for (let i = 0; i < end; i++) {
    const op = bytes[i] as number
    if (op === 0x5f) return true
    if (op >= 0x60 && op <= 0x7f) i += op - 0x5f
  }
  return false
}
