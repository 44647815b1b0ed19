import { readFileSync } from "node:fs"
import type { InterfaceAbi } from "ethers"

/** Contracts with a committed artifact in packages/contracts/artifacts/. */
export type ArtifactName =
  | "LedgerManager"
  | "InferenceServing"
  | "FineTuningServing"
  | "UpgradeableBeacon"
  | "BeaconProxy"

export const ARTIFACT_NAMES: readonly ArtifactName[] = [
  "LedgerManager",
  "InferenceServing",
  "FineTuningServing",
  "UpgradeableBeacon",
  "BeaconProxy",
]

export interface Artifact {
  readonly contractName: ArtifactName
  readonly abi: InterfaceAbi
  /** 0x-prefixed creation bytecode. */
  readonly bytecode: string
  /** 0x-prefixed runtime bytecode. */
  readonly deployedBytecode: string
  /** sha256 of our Solidity sources plus compiler settings (see scripts/build-config.mjs). */
  readonly sourceHash: string
}

const cache = new Map<ArtifactName, Artifact>()

/** Reads artifacts/<name>.json (committed; produced by `pnpm run compile`). Cached per process. */
export function loadArtifact(name: ArtifactName): Artifact {
  const hit = cache.get(name)
  if (hit !== undefined) return hit
  const url = new URL(`../../artifacts/${name}.json`, import.meta.url)
  let parsed: Artifact
  try {
    parsed = JSON.parse(readFileSync(url, "utf8")) as Artifact
  } catch (cause) {
    throw new Error(`cannot read contract artifact ${name} at ${url.pathname}`, { cause })
  }
  if (parsed.contractName !== name || !parsed.bytecode.startsWith("0x")) {
    throw new Error(`malformed contract artifact ${url.pathname}`)
  }
  cache.set(name, parsed)
  return parsed
}
