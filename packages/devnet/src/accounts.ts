/**
 * Fixed devnet identities: the standard test mnemonic's accounts, each with one role.
 * These keys are public test keys; never use them on a real network.
 */
import { Redacted } from "effect"
import { HDNodeWallet, Mnemonic } from "ethers"

export const TEST_MNEMONIC = "test test test test test test test test test test test junk"

export interface DevnetAccount {
  readonly role: string
  readonly index: number
  readonly address: string
  readonly privateKey: Redacted.Redacted<string>
}

/** Role of each mnemonic index. #0 must send nothing before the deploy sequence (its nonces fix the addresses). */
export const ROLES = [
  "deployer", // #0 contract owner
  "inference-tee-signer", // #1 the signer of the reference EIP-712 vectors
  "inference-provider", // #2 the provider wallet of the reference vectors
  "fine-tuning-provider", // #3
  "fine-tuning-tee-signer", // #4
  "user", // #5..#9 free for users and tests
  "user",
  "user",
  "user",
  "user",
] as const

// Seed derivation (PBKDF2) is the slow part, so derive the account-level node once and children from it.
let parent: HDNodeWallet | undefined
const accountNode = () => {
  parent ??= HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(TEST_MNEMONIC), "m/44'/60'/0'/0")
  return parent
}

export const deriveAccount = (index: number): DevnetAccount => {
  const w = accountNode().deriveChild(index)
  return { role: ROLES[index] ?? "user", index, address: w.address, privateKey: Redacted.make(w.privateKey) }
}

export interface DevnetAccounts {
  readonly deployer: DevnetAccount
  readonly inferenceSigner: DevnetAccount
  readonly inferenceProvider: DevnetAccount
  readonly fineTuningProvider: DevnetAccount
  readonly fineTuningSigner: DevnetAccount
  /** Funded accounts with no role, for users and tests. */
  readonly users: ReadonlyArray<DevnetAccount>
  readonly all: ReadonlyArray<DevnetAccount>
}

export const devnetAccounts = (count = ROLES.length): DevnetAccounts => {
  const all = Array.from({ length: Math.max(count, ROLES.length) }, (_, i) => deriveAccount(i))
  const at = (i: number) => all[i] as DevnetAccount
  return {
    deployer: at(0),
    inferenceSigner: at(1),
    inferenceProvider: at(2),
    fineTuningProvider: at(3),
    fineTuningSigner: at(4),
    users: all.slice(5),
    all,
  }
}
