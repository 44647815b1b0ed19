import { ContractFactory, getAddress, getCreateAddress, Interface, JsonRpcProvider, Network, Wallet } from "ethers"
import { type ArtifactName, loadArtifact } from "./artifacts.js"
import { waitForReceipt } from "./receipts.js"

/** Account #0 of the standard test mnemonic; every devnet deploy transaction comes from it. */
export const DEPLOYER_PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
export const DEPLOYER_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

/** CREATE addresses of the deployer by nonce (contracts.md §3); only the proxies are load-bearing. */
export const DEVNET_ADDRESSES = {
  ledger: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
  inference: "0x0165878A594ca255338adfa4d48449f69242Eb8F",
  fineTuning: "0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0",
  beacons: {
    ledger: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    inference: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
    fineTuning: "0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e",
  },
  implementations: {
    ledger: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    inference: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
    fineTuning: "0x610178dA211FEF7D417bC0e6FeD39F05609AD788",
  },
} as const

export const DEFAULT_LOCK_TIME = 86_400
export const DEFAULT_PENALTY_PERCENTAGE = 30
export const INFERENCE_SERVICE_NAME = "inference-v1.0"
export const FINE_TUNING_SERVICE_NAME = "fine-tuning-v1.0"

interface Trio {
  readonly ledger: string
  readonly inference: string
  readonly fineTuning: string
}

export interface DeployedContracts extends Trio {
  readonly beacons: Trio
  readonly implementations: Trio
}

export interface DeployOptions {
  readonly rpcUrl: string
}

const SEQUENCE_LENGTH = 16

/**
 * Sends contracts.md §3's 16-transaction sequence from account #0 starting at nonce 0, so the proxies land on
 * the SDK's hardcoded hardhat addresses. Idempotent: if the sequence already ran on this chain, the existing
 * contracts are returned. Fails if account #0 has been used for anything else.
 */
export async function deployContracts(options: DeployOptions): Promise<DeployedContracts> {
  const probe = new JsonRpcProvider(options.rpcUrl, undefined, { staticNetwork: true, batchMaxCount: 1 })
  const chainId = BigInt((await probe.send("eth_chainId", [])) as string)
  probe.destroy()
  // static network + no batching: no eth_chainId chatter, one HTTP round trip per call
  const provider = new JsonRpcProvider(options.rpcUrl, Network.from(chainId), {
    staticNetwork: true,
    batchMaxCount: 1,
    pollingInterval: 50,
  })
  try {
    return await run(provider, chainId)
  } finally {
    provider.destroy()
  }
}

/** Alias of {@link deployContracts}: the reference (contracts.md §3) deploy sequence. */
export const deployReference = deployContracts

async function run(provider: JsonRpcProvider, chainId: bigint): Promise<DeployedContracts> {
  const wallet = new Wallet(DEPLOYER_PRIVATE_KEY)
  const from = wallet.address
  const nonce = Number.parseInt((await provider.send("eth_getTransactionCount", [from, "latest"])) as string, 16)
  const result = expectedAddresses(from)
  if (nonce !== 0) {
    if (await isDeployed(provider, result)) return result
    throw new Error(
      `cannot deploy the devnet contracts: account #0 (${from}) has nonce ${nonce}, but the reference addresses ` +
        "require the deploy sequence to start at nonce 0 on a fresh chain (and no complete deployment was found)",
    )
  }

  const gasPrice = BigInt((await provider.send("eth_gasPrice", [])) as string)
  const fees = { maxFeePerGas: gasPrice * 2n + 1_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }
  let next = 0
  const send = async (label: string, tx: { to?: string; data: string }): Promise<void> => {
    const request = { from, ...tx, nonce: toHex(next) }
    const gasLimit = BigInt((await provider.send("eth_estimateGas", [request])) as string)
    const raw = await wallet.signTransaction({
      type: 2,
      chainId,
      nonce: next,
      ...(tx.to === undefined ? {} : { to: tx.to }),
      data: tx.data,
      value: 0n,
      gasLimit: (gasLimit * 6n) / 5n,
      ...fees,
    })
    const hash = (await provider.send("eth_sendRawTransaction", [raw])) as string
    const receipt = await waitForReceipt(provider, hash)
    if (receipt.status !== 1) throw new Error(`devnet deploy step ${next} (${label}) reverted: ${hash}`)
    next++
  }

  const ledger = new Interface(loadArtifact("LedgerManager").abi)
  const deployProxy = async (name: ArtifactName, addrs: { impl: string; beacon: string }): Promise<void> => {
    await send(`${name} implementation`, { data: await createData(name, []) })
    await send(`${name} beacon`, { data: await createData("UpgradeableBeacon", [addrs.impl]) })
    await send(`${name} proxy`, { data: await createData("BeaconProxy", [addrs.beacon, "0x"]) })
  }
  /** A serving contract's six transactions: proxy, initialize, registered as `<service>-v1.0` and recommended. */
  const deployServing = async (
    name: "InferenceServing" | "FineTuningServing",
    key: "inference" | "fineTuning",
    service: string,
    init: readonly unknown[],
  ): Promise<void> => {
    await deployProxy(name, { impl: result.implementations[key], beacon: result.beacons[key] })
    const data = new Interface(loadArtifact(name).abi).encodeFunctionData("initialize", init)
    await send(`${name}.initialize`, { to: result[key], data })
    const description = `${service} serving service v1.0`
    await send(`registerService(${service})`, {
      to: result.ledger,
      data: ledger.encodeFunctionData("registerService", [service, "v1.0", result[key], description]),
    })
    await send(`setRecommendedService(${service})`, {
      to: result.ledger,
      data: ledger.encodeFunctionData("setRecommendedService", [service, "v1.0"]),
    })
  }

  // nonces 0-3
  await deployProxy("LedgerManager", { impl: result.implementations.ledger, beacon: result.beacons.ledger })
  await send("LedgerManager.initialize", { to: result.ledger, data: ledger.encodeFunctionData("initialize", [from]) })
  // nonces 4-9
  await deployServing("InferenceServing", "inference", "inference", [DEFAULT_LOCK_TIME, result.ledger, from])
  // nonces 10-15
  await deployServing("FineTuningServing", "fineTuning", "fine-tuning", [
    DEFAULT_LOCK_TIME,
    result.ledger,
    from,
    DEFAULT_PENALTY_PERCENTAGE,
  ])
  if (next !== SEQUENCE_LENGTH) throw new Error(`devnet deploy sent ${next} transactions, expected ${SEQUENCE_LENGTH}`)
  return result
}

function expectedAddresses(from: string): DeployedContracts {
  const at = (nonce: number): string => getCreateAddress({ from, nonce })
  const result: DeployedContracts = {
    ledger: at(2),
    inference: at(6),
    fineTuning: at(12),
    beacons: { ledger: at(1), inference: at(5), fineTuning: at(11) },
    implementations: { ledger: at(0), inference: at(4), fineTuning: at(10) },
  }
  // guards against a wrong key: the SDK hardcodes these
  if (
    result.ledger !== getAddress(DEVNET_ADDRESSES.ledger) ||
    result.fineTuning !== getAddress(DEVNET_ADDRESSES.fineTuning)
  ) {
    throw new Error(`deployer ${from} does not produce the reference devnet addresses`)
  }
  return result
}

async function createData(name: ArtifactName, args: unknown[]): Promise<string> {
  const artifact = loadArtifact(name)
  const tx = await new ContractFactory(artifact.abi, artifact.bytecode).getDeployTransaction(...args)
  return tx.data
}

/** A finished deployment: proxies initialized and both services registered under their reference names. */
async function isDeployed(provider: JsonRpcProvider, r: DeployedContracts): Promise<boolean> {
  const initializedSel = new Interface(["function initialized() view returns (bool)"]).encodeFunctionData("initialized")
  for (const addr of [r.ledger, r.inference, r.fineTuning]) {
    const out = (await provider
      .send("eth_call", [{ to: addr, data: initializedSel }, "latest"])
      .catch(() => "0x")) as string
    if (out === "0x" || BigInt(out) !== 1n) return false
  }
  const ledger = new Interface(loadArtifact("LedgerManager").abi)
  for (const [name, addr] of [
    [INFERENCE_SERVICE_NAME, r.inference],
    [FINE_TUNING_SERVICE_NAME, r.fineTuning],
  ] as const) {
    const data = ledger.encodeFunctionData("getServiceAddressByName", [name])
    const out = (await provider.send("eth_call", [{ to: r.ledger, data }, "latest"])) as string
    const [registered] = ledger.decodeFunctionResult("getServiceAddressByName", out)
    if (getAddress(String(registered)) !== addr) return false
  }
  return true
}

function toHex(n: number): string {
  return `0x${n.toString(16)}`
}
