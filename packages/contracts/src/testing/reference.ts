// The reference suites' environment over the package's one chain fixture (devnet.ts): bound contracts,
// dev wallets and the common setup; the transaction assertions are in assertions.ts (re-exported here).
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { lateBound } from "@0g-compute/core/testing"
import {
  type BaseContractMethod,
  Contract,
  ContractFactory,
  HDNodeWallet,
  type Interface,
  type InterfaceAbi,
  JsonRpcProvider,
  Network,
  parseEther,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
  Wallet,
} from "ethers"
import {
  type AnvilInstance,
  type ArtifactName,
  type DeployedContracts,
  loadArtifact,
  minedReceipt,
  TEST_MNEMONIC,
} from "../node/index.js"
import { mined } from "./assertions.js"
import { startDevnet, useFixture } from "./devnet.js"

export { events, expectRevert, expectStringRevert, mined } from "./assertions.js"

type LedgerFn =
  | "MIN_ACCOUNT_BALANCE"
  | "MIN_TRANSFER_AMOUNT"
  | "MAX_PROVIDERS_PER_BATCH"
  | "MAX_PROVIDERS_PER_USER_PER_SERVICE"
  | "MAX_SERVICES"
  | "MAX_ADDITIONAL_INFO_LENGTH"
  | "addLedger"
  | "depositFund"
  | "depositFundFor"
  | "refund"
  | "transferFund"
  | "retrieveFund"
  | "deleteLedger"
  | "updateAdditionalInfo"
  | "spendFund"
  | "getLedger"
  | "getAllLedgers"
  | "getLedgerProviders"
  | "registerService"
  | "setRecommendedService"
  | "getServiceInfo"
  | "getServiceAddressByName"
  | "getAllActiveServices"
  | "getRecommendedService"
  | "getAllVersions"
  | "isRecommendedVersion"
  | "initialize"
  | "initialized"
  | "owner"
  | "transferOwnership"
  | "renounceOwnership"
type ServingFn =
  | "MIN_LOCKTIME"
  | "MAX_LOCKTIME"
  | "MIN_PROVIDER_STAKE"
  | "accountExists"
  | "getPendingRefund"
  | "addAccount"
  | "depositFund"
  | "requestRefundAll"
  | "processRefund"
  | "deleteAccount"
  | "getAccount"
  | "getAllAccounts"
  | "getAccountsByProvider"
  | "getAccountsByUser"
  | "getBatchAccountsByUsers"
  | "addOrUpdateService"
  | "removeService"
  | "getService"
  | "getAllServices"
  | "acknowledgeTEESigner"
  | "acknowledgeTEESignerByOwner"
  | "revokeTEESignerAcknowledgement"
  | "updateLockTime"
  | "lockTime"
  | "ledgerAddress"
  | "supportsInterface"
  | "initialize"
  | "initialized"
  | "owner"
  | "transferOwnership"
  | "renounceOwnership"
type InferenceFn =
  | ServingFn
  | "serviceExists"
  | "revokeToken"
  | "revokeTokens"
  | "revokeAllTokens"
  | "isTokenRevoked"
  | "settleFeesWithTEE"
  | "previewSettlementResults"
type FineTuningFn =
  | ServingFn
  | "addDeliverable"
  | "acknowledgeDeliverable"
  | "abandonDeliverable"
  | "getDeliverable"
  | "getDeliverables"
  | "settleFees"
  | "updatePenaltyPercentage"
  | "penaltyPercentage"

/** An ethers Contract whose method names are spelled out, so strict indexing stays usable in tests. */
export type Bound<K extends string> = { readonly [P in K]: BaseContractMethod } & {
  readonly target: string
  readonly interface: Interface
  as(signer: Wallet): Bound<K>
}
export type LedgerC = Bound<LedgerFn>
export type InferenceC = Bound<InferenceFn>
export type FineTuningC = Bound<FineTuningFn>

function bind<K extends string>(
  address: string,
  name: "LedgerManager" | "InferenceServing" | "FineTuningServing",
  runner: Wallet,
): Bound<K> {
  const c = new Contract(address, loadArtifact(name).abi, runner)
  return Object.assign(c, { as: (s: Wallet) => bind<K>(address, name, s) }) as unknown as Bound<K>
}

export const E = (n: string | number): bigint => parseEther(String(n))
export const INFERENCE = "inference-v1.0"
export const FINE_TUNING = "fine-tuning-v1.0"
export const LOCK_TIME = 86_400

export interface Env {
  readonly anvil: AnvilInstance
  readonly provider: JsonRpcProvider
  readonly addrs: DeployedContracts
  /** Dev accounts #0..#9 of the standard mnemonic, connected. #0 deploys and owns the contracts. */
  readonly w: readonly Wallet[]
  readonly ledger: LedgerC
  readonly inference: InferenceC
  readonly fineTuning: FineTuningC
  /** Wraps every test in evm_snapshot / evm_revert. */
  snapshot(): Promise<void>
  restore(): Promise<void>
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>
  /** Timestamp of the latest block. */
  now(): Promise<number>
  /** Sets the timestamp the next transaction's block gets. */
  setNextTimestamp(ts: number): Promise<void>
  increaseTime(seconds: number): Promise<void>
  balanceOf(addr: string): Promise<bigint>
  stop(): Promise<void>
}

/**
 * Test wallets add 20 % to anvil's gas estimate, as the SDK's TxEngine does. Anvil returns the exact minimum for the
 * block it estimated against; when the including block differs (its timestamp, which services store as `updatedAt`),
 * that exact limit can run out: a service update reverted this way once on a loaded 2-core machine.
 */
class HeadroomWallet extends Wallet {
  override async estimateGas(tx: TransactionRequest): Promise<bigint> {
    return ((await super.estimateGas(tx)) * 6n) / 5n
  }
}

export async function createEnv(): Promise<Env> {
  const devnet = await startDevnet()
  // Its own provider for the wallets: one request per batch and fast polling for receipts.
  const provider = new JsonRpcProvider(devnet.rpcUrl, Network.from(31337), {
    staticNetwork: true,
    batchMaxCount: 1,
    pollingInterval: 20,
    cacheTimeout: -1,
  })
  const root = HDNodeWallet.fromPhrase(TEST_MNEMONIC, undefined, "m/44'/60'/0'/0")
  const w = Array.from({ length: 10 }, (_, i) => new HeadroomWallet(root.deriveChild(i).privateKey, provider))
  const owner = w[0] as Wallet
  const rpc = <T>(method: string, params: unknown[] = []): Promise<T> => provider.send(method, params) as Promise<T>
  return {
    anvil: devnet.anvil,
    provider,
    addrs: devnet.addrs,
    w,
    ledger: bind<LedgerFn>(devnet.addrs.ledger, "LedgerManager", owner),
    inference: bind<InferenceFn>(devnet.addrs.inference, "InferenceServing", owner),
    fineTuning: bind<FineTuningFn>(devnet.addrs.fineTuning, "FineTuningServing", owner),
    rpc,
    snapshot: devnet.snapshot,
    restore: devnet.restore,
    async now() {
      const block = await provider.getBlock("latest")
      if (!block) throw new Error("no latest block")
      return block.timestamp
    },
    async setNextTimestamp(ts: number) {
      await rpc("evm_setNextBlockTimestamp", [ts])
    },
    async increaseTime(seconds: number) {
      await rpc("evm_increaseTime", [seconds])
      await rpc("evm_mine")
    },
    balanceOf: (addr: string) => provider.getBalance(addr),
    async stop() {
      provider.destroy()
      await devnet.stop()
    },
  }
}

/**
 * Registers this file's hooks: one reference environment, `commonSetup` for the requested services once, and a
 * snapshot/revert around each test. `env` and `r` are usable inside tests.
 */
export function useReferenceSuite(services: { inference?: boolean; fineTuning?: boolean }): { env: Env; r: Roles } {
  let r: Roles | undefined
  const env = useFixture(async () => {
    const e = await createEnv()
    try {
      r = await commonSetup(e, services)
      return e
    } catch (error) {
      await e.stop()
      throw error
    }
  })
  return {
    env,
    r: lateBound(() => {
      if (r === undefined) throw new Error("useReferenceSuite: roles are set up in beforeAll (use them inside a test)")
      return r
    }),
  }
}

/**
 * A protocol vector of test/reference/protocol-vectors.json (EIP-712 domain, types, message, digest, signature).
 * The settlement tests sign with its types and domain rather than crypto's: they check our Solidity against the
 * live protocol, not against another package of ours.
 */
export function eip712Vector(name: "inferenceTEESettlement" | "fineTuningVerifierMessage"): {
  domain: TypedDataDomain
  types: Record<string, Array<TypedDataField>>
  message: Record<string, string>
  digest: string
  signature: string
} {
  const url = new URL("../../test/reference/protocol-vectors.json", import.meta.url)
  const vectors = JSON.parse(readFileSync(url, "utf8")) as { eip712: Record<string, ReturnType<typeof eip712Vector>> }
  const v = vectors.eip712[name]
  if (v === undefined) throw new Error(`no EIP-712 vector ${name}`)
  return v
}

/**
 * Deploys `code` (an artifact's name, or abi + bytecode) with `args` from `signer` and waits for its receipt, not for
 * `waitForDeployment()`'s block poller (see waitForReceipt).
 */
export async function deployed(
  code: ArtifactName | { abi: InterfaceAbi; bytecode: string },
  signer: Wallet,
  args: unknown[] = [],
): Promise<Contract> {
  const { abi, bytecode } = typeof code === "string" ? loadArtifact(code) : code
  const c = await new ContractFactory(abi, bytecode, signer).deploy(...args)
  await minedReceipt(c.deploymentTransaction() as TransactionResponse, "deployment")
  return new Contract(await c.getAddress(), abi, signer)
}

/** A new, uninitialized BeaconProxy over `beacon`, bound to the serving contract `iface` (initialize-order tests). */
export async function freshProxy(beacon: string, iface: Interface, signer: Wallet): Promise<Contract> {
  const proxy = await deployed("BeaconProxy", signer, [beacon, "0x"])
  return new Contract(await proxy.getAddress(), iface, signer)
}

/** Common setup of the reference suites: ledgers, staked providers with a TEE signer, first transfers. */
export interface Roles {
  readonly owner: Wallet // #0: deployer, contract owner, also a user
  readonly signer: Wallet // #1: TEE signer of the EIP-712 vectors
  readonly provider1: Wallet // #2: provider of the inference vector
  readonly provider2: Wallet // #3
  readonly user1: Wallet // #4
  readonly user2: Wallet // #5
}

export function roles(env: Env): Roles {
  const at = (i: number): Wallet => env.w[i] as Wallet
  return { owner: at(0), signer: at(1), provider1: at(2), provider2: at(3), user1: at(4), user2: at(5) }
}

export const QUOTA = { cpuCount: 8n, nodeMemory: 64n, gpuCount: 1n, nodeStorage: 1000n, gpuType: "H100" }

export function inferenceParams(teeSigner: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    serviceType: "chatbot",
    url: "https://provider.example",
    model: "llama-3",
    verifiability: "TeeML",
    inputPrice: 1n,
    outputPrice: 2n,
    additionalInfo: "{}",
    teeSignerAddress: teeSigner,
    ...overrides,
  }
}

/**
 * The reference suites' common setup: owner ledger 5 0G, user1 ledger 10 0G; provider1 registered (100 0G stake,
 * TEE signer #1, owner-acknowledged) on the requested services; owner and user1 transfer 1 / 2 0G to provider1.
 */
export async function commonSetup(env: Env, services: { inference?: boolean; fineTuning?: boolean }): Promise<Roles> {
  const r = roles(env)
  await mined(env.ledger.as(r.owner).addLedger("", { value: E(5) }))
  await mined(env.ledger.as(r.user1).addLedger("", { value: E(10) }))
  if (services.inference) {
    await mined(env.inference.as(r.provider1).addOrUpdateService(inferenceParams(r.signer.address), { value: E(100) }))
    await mined(env.inference.acknowledgeTEESignerByOwner(r.provider1.address))
    await mined(env.ledger.as(r.owner).transferFund(r.provider1.address, INFERENCE, E(1)))
    await mined(env.ledger.as(r.user1).transferFund(r.provider1.address, INFERENCE, E(2)))
  }
  if (services.fineTuning) {
    await mined(
      env.fineTuning
        .as(r.provider1)
        .addOrUpdateService("https://ft.example", QUOTA, 10n, false, ["qwen"], r.signer.address, {
          value: E(100),
        }),
    )
    await mined(env.fineTuning.acknowledgeTEESignerByOwner(r.provider1.address))
    await mined(env.ledger.as(r.owner).transferFund(r.provider1.address, FINE_TUNING, E(1)))
    await mined(env.ledger.as(r.user1).transferFund(r.provider1.address, FINE_TUNING, E(2)))
  }
  return r
}

/** Compiles a test fixture from src/testing/fixtures with the solc npm package (plain codegen: fast). */
export function compileFixture(file: string, contract: string): { abi: InterfaceAbi; bytecode: string } {
  const require = createRequire(import.meta.url)
  const solc = require("solc") as { compile(input: string): string }
  const content = readFileSync(new URL(`./fixtures/${file}`, import.meta.url), "utf8")
  const input = {
    language: "Solidity",
    sources: { [file]: { content } },
    settings: { evmVersion: "istanbul", outputSelection: { "*": { [contract]: ["abi", "evm.bytecode.object"] } } },
  }
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[]
    contracts: Record<string, Record<string, { abi: InterfaceAbi; evm: { bytecode: { object: string } } }>>
  }
  const fatal = (out.errors ?? []).filter((e) => e.severity === "error")
  if (fatal.length > 0) throw new Error(fatal.map((e) => e.formattedMessage).join("\n"))
  const c = out.contracts[file]?.[contract]
  if (!c) throw new Error(`no ${contract} in ${file}`)
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` }
}
