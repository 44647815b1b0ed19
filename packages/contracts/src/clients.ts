/**
 * Typed ethers clients for the three compute contracts. The method types come from the generated ABI modules, so a
 * wrong argument or a misread return value is a compile error.
 */
import { Contract, type ContractRunner, Interface } from "ethers"
import {
  FineTuningServingAbi,
  type FineTuningServingContract,
  InferenceServingAbi,
  type InferenceServingContract,
  LedgerManagerAbi,
  type LedgerManagerContract,
} from "./generated/index.js"

export type ContractName = "LedgerManager" | "InferenceServing" | "FineTuningServing"

export const CONTRACT_NAMES: ReadonlyArray<ContractName> = ["LedgerManager", "InferenceServing", "FineTuningServing"]

/** One shared, immutable `Interface` per contract (parsing an ABI is not free). */
export const contractInterfaces: Readonly<Record<ContractName, Interface>> = {
  LedgerManager: new Interface(LedgerManagerAbi),
  InferenceServing: new Interface(InferenceServingAbi),
  FineTuningServing: new Interface(FineTuningServingAbi),
}

/** LedgerManager at `address`; pass a provider for reads, a signer for writes. */
export const ledgerManager = (address: string, runner: ContractRunner | null = null): LedgerManagerContract =>
  new Contract(address, contractInterfaces.LedgerManager, runner) as unknown as LedgerManagerContract

/** InferenceServing at `address`. */
export const inferenceServing = (address: string, runner: ContractRunner | null = null): InferenceServingContract =>
  new Contract(address, contractInterfaces.InferenceServing, runner) as unknown as InferenceServingContract

/** FineTuningServing at `address`. */
export const fineTuningServing = (address: string, runner: ContractRunner | null = null): FineTuningServingContract =>
  new Contract(address, contractInterfaces.FineTuningServing, runner) as unknown as FineTuningServingContract
