import {
  AbiCoder,
  Contract,
  getAddress,
  Interface,
  id,
  keccak256,
  toBeHex,
  Wallet,
  ZeroAddress,
  zeroPadValue,
} from "ethers"
import { describe, expect, it } from "vitest"
import {
  DEPLOYER_ADDRESS,
  DEVNET_ADDRESSES,
  deployContracts,
  loadArtifact,
  minedReceipt,
  startAnvil,
} from "../src/node/index.js"
import { useFixture } from "../src/testing/devnet.js"
import { createEnv, deployed, expectRevert, inferenceParams, mined } from "../src/testing/reference.js"

const BEACON_SLOT = "0xa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50"
const NAMESPACES = {
  ledger: "0x0bb5d42557ea6926c17416c5b1c1c29c28d9006d6f713295a2d385f07156ed00",
  inference: "0xdfd123095cdedb1cecbc229b30f7cf8745fb3d3951645ac4a8fa4c0895f89500",
  fineTuning: "0x5dcaaa00d1d3fae8cd5d66aceca789aec54970049ac35cb62a7adefca50a6800",
} as const
const TOPIC_INITIALIZED = "0x7f26b83ff96e1f2b6a682f133852f6798a09c465da95921460cefb3847402498"
const TOPIC_OWNERSHIP = "0x8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0"
const TOPIC_CONTRACT_INITIALIZED = "0x9e1c480deaf2caaa9170098a3275b53d208beaeb277601363025975cf8274eb6"

const env = useFixture(createEnv)

/** Initializer-related logs at `address` (the proxy's own BeaconUpgraded log is left out). */
const topicsAt = async (address: string): Promise<{ topic: string; data: string }[]> => {
  const logs = await env.rpc<{ topics: string[]; data: string }[]>("eth_getLogs", [
    { address, fromBlock: "0x0", toBlock: "latest" },
  ])
  const wanted = new Set([TOPIC_INITIALIZED, TOPIC_OWNERSHIP, TOPIC_CONTRACT_INITIALIZED])
  return logs.map((l) => ({ topic: l.topics[0] as string, data: l.data })).filter((l) => wanted.has(l.topic))
}

describe("reference deployment", () => {
  it("puts the proxies on the SDK's hardhat addresses after exactly 16 transactions", async () => {
    expect(env.addrs.ledger).toBe("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0")
    expect(env.addrs.inference).toBe("0x0165878A594ca255338adfa4d48449f69242Eb8F")
    expect(env.addrs.fineTuning).toBe("0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0")
    expect(env.addrs).toEqual(DEVNET_ADDRESSES)
    expect(await env.provider.getTransactionCount(DEPLOYER_ADDRESS)).toBe(16)
  })

  it("deploys runtime code equal to the artifacts, under EIP-170", async () => {
    const impls = env.addrs.implementations
    for (const [addr, name] of [
      [impls.ledger, "LedgerManager"],
      [impls.inference, "InferenceServing"],
      [impls.fineTuning, "FineTuningServing"],
    ] as const) {
      const code = await env.provider.getCode(addr)
      expect(code).toBe(loadArtifact(name).deployedBytecode)
      expect((code.length - 2) / 2).toBeLessThan(24_576)
    }
  })

  it("wires proxy -> beacon -> implementation, beacons owned by account #0", async () => {
    const beaconAbi = loadArtifact("UpgradeableBeacon").abi
    for (const key of ["ledger", "inference", "fineTuning"] as const) {
      const slot = await env.provider.getStorage(env.addrs[key], BEACON_SLOT)
      expect(getAddress(`0x${slot.slice(26)}`)).toBe(env.addrs.beacons[key])
      const beacon = new Contract(env.addrs.beacons[key], beaconAbi, env.provider)
      expect(await beacon.getFunction("implementation")()).toBe(env.addrs.implementations[key])
      expect(await beacon.getFunction("owner")()).toBe(DEPLOYER_ADDRESS)
    }
  })

  it("initializes every proxy once, owned by account #0, with the default parameters", async () => {
    for (const c of [env.ledger, env.inference, env.fineTuning]) {
      expect(await c.initialized()).toBe(true)
      expect(await c.owner()).toBe(DEPLOYER_ADDRESS)
    }
    expect(await env.inference.lockTime()).toBe(86_400n)
    expect(await env.inference.ledgerAddress()).toBe(env.addrs.ledger)
    expect(await env.fineTuning.lockTime()).toBe(86_400n)
    expect(await env.fineTuning.penaltyPercentage()).toBe(30n)
    await expectRevert(env.ledger.initialize(DEPLOYER_ADDRESS), env.ledger.interface, "AlreadyInitialized", [])
    await expectRevert(
      env.inference.initialize(3600, env.addrs.ledger, DEPLOYER_ADDRESS),
      env.inference.interface,
      "AlreadyInitialized",
      [],
    )
    await expectRevert(
      env.fineTuning.initialize(3600, env.addrs.ledger, DEPLOYER_ADDRESS, 30),
      env.fineTuning.interface,
      "AlreadyInitialized",
      [],
    )
  })

  it("emits the initializer events in the documented order", async () => {
    const ledgerLogs = await topicsAt(env.addrs.ledger)
    expect(ledgerLogs.slice(0, 2).map((l) => l.topic)).toEqual([TOPIC_OWNERSHIP, TOPIC_INITIALIZED])
    expect(BigInt(ledgerLogs[1]?.data ?? "0x")).toBe(1n)
    const infLogs = await topicsAt(env.addrs.inference)
    expect(infLogs.slice(0, 3).map((l) => l.topic)).toEqual([
      TOPIC_CONTRACT_INITIALIZED,
      TOPIC_OWNERSHIP,
      TOPIC_INITIALIZED,
    ])
    const ftLogs = await topicsAt(env.addrs.fineTuning)
    expect(ftLogs.slice(0, 2).map((l) => l.topic)).toEqual([TOPIC_OWNERSHIP, TOPIC_INITIALIZED])
  })

  it("locks the LedgerManager and InferenceServing logic contracts (Initialized(255)); FT's stays open", async () => {
    for (const key of ["ledger", "inference"] as const) {
      const logs = await topicsAt(env.addrs.implementations[key])
      const init = logs.find((l) => l.topic === TOPIC_INITIALIZED)
      expect(BigInt(init?.data ?? "0x0")).toBe(255n)
    }
    const [user] = env.w
    const ledgerImpl = new Contract(env.addrs.implementations.ledger, loadArtifact("LedgerManager").abi, user)
    await expectRevert(
      ledgerImpl.getFunction("initialize")(DEPLOYER_ADDRESS),
      ledgerImpl.interface,
      "AlreadyInitialized",
      [],
    )
    expect(await ledgerImpl.getFunction("initialized")()).toBe(false)
    const ftImpl = new Contract(env.addrs.implementations.fineTuning, loadArtifact("FineTuningServing").abi, user)
    await mined(ftImpl.getFunction("initialize")(3600, env.addrs.ledger, DEPLOYER_ADDRESS, 10))
    expect(await ftImpl.getFunction("initialized")()).toBe(true)
  })

  it("registers both services under their reference names, recommended", async () => {
    const inf = await env.ledger.getServiceInfo(env.addrs.inference)
    expect(inf.fullName).toBe("inference-v1.0")
    expect(inf.serviceContract).toBe(env.addrs.inference)
    expect(inf.description).toBe("inference serving service v1.0")
    expect(inf.isRecommended).toBe(true)
    const ft = await env.ledger.getServiceInfo(env.addrs.fineTuning)
    expect(ft.fullName).toBe("fine-tuning-v1.0")
    expect(await env.ledger.getRecommendedService("fine-tuning")).toEqual(["v1.0", env.addrs.fineTuning])
    expect(await env.inference.supportsInterface("0x160841b1")).toBe(true)
    expect(await env.fineTuning.supportsInterface("0x01ffc9a7")).toBe(true)
    expect(await env.fineTuning.supportsInterface("0xffffffff")).toBe(false)
  })

  it("keeps Ownable/Initializable in slot 0 and state in the ERC-7201 namespaces", async () => {
    const slot0 = BigInt(await env.provider.getStorage(env.addrs.ledger, 0))
    expect(slot0 & ((1n << 160n) - 1n)).toBe(BigInt(DEPLOYER_ADDRESS))
    expect((slot0 >> 160n) & 0xffn).toBe(1n) // initialized
    expect((slot0 >> 168n) & 0xffn).toBe(0n) // lock flag (proxy)
    expect(BigInt(await env.provider.getStorage(env.addrs.inference, NAMESPACES.inference))).toBe(86_400n)
    const ftLedger = await env.provider.getStorage(env.addrs.fineTuning, BigInt(NAMESPACES.fineTuning) + 1n)
    expect(ftLedger).toBe(zeroPadValue(env.addrs.ledger.toLowerCase(), 32))
    expect(BigInt(await env.provider.getStorage(env.addrs.fineTuning, BigInt(NAMESPACES.fineTuning) + 2n))).toBe(30n)
    // ledger namespace: first member is a mapping, so the slot itself stays empty
    expect(await env.provider.getStorage(env.addrs.ledger, NAMESPACES.ledger)).toBe(toBeHex(0, 32))
    // ReentrancyGuard._status is slot 1: 0 on a fresh proxy, 1 (_NOT_ENTERED) after a nonReentrant call
    expect(BigInt(await env.provider.getStorage(env.addrs.inference, 1))).toBe(0n)
    const provider = env.inference.as(env.w[3] as Wallet)
    await mined(provider.addOrUpdateService(inferenceParams(ZeroAddress), { value: 10n ** 20n }))
    await mined(provider.removeService())
    expect(BigInt(await env.provider.getStorage(env.addrs.inference, 1))).toBe(1n)
  })

  it("uses the ERC-7201 formula for the namespace slots", () => {
    const slot = (ns: string): string =>
      toBeHex(BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["uint256"], [BigInt(id(ns)) - 1n]))) & ~0xffn, 32)
    expect(slot("0g.serving.ledger")).toBe(NAMESPACES.ledger)
    expect(slot("0g.serving.inference.v1.0")).toBe(NAMESPACES.inference)
    expect(slot("0g.serving.finetuning.v1.0")).toBe(NAMESPACES.fineTuning)
  })

  it("is idempotent on an already deployed chain", async () => {
    const again = await deployContracts({ rpcUrl: env.anvil.rpcUrl })
    expect(again).toEqual(env.addrs)
    expect(await env.provider.getTransactionCount(DEPLOYER_ADDRESS)).toBe(16)
  })

  it("upgrades through the beacon, keeping proxy state", async () => {
    const owner = env.w[0] as Wallet
    const impl = await deployed("InferenceServing", owner)
    const beacon = new Contract(env.addrs.beacons.inference, loadArtifact("UpgradeableBeacon").abi, owner)
    const receipt = await mined(beacon.getFunction("upgradeTo")(await impl.getAddress()))
    const upgraded = receipt.logs.map((l) => beacon.interface.parseLog(l)).find((d) => d?.name === "Upgraded")
    expect(upgraded?.args[0]).toBe(await impl.getAddress())
    expect(await env.inference.lockTime()).toBe(86_400n)
    await expectRevert(
      beacon.connect(env.w[1] as Wallet).getFunction("upgradeTo")(await impl.getAddress()),
      new Interface(["error Error(string)"]),
      "Error",
      ["Ownable: caller is not the owner"],
    )
  })
})

describe("deployContracts preconditions and startAnvil options", () => {
  it("refuses a chain where account #0 was already used for something else", async () => {
    const other = await startAnvil({ chainId: 1337, accounts: 2, balanceEth: 50 })
    try {
      expect(other.chainId).toBe(1337)
      expect(other.rpcUrl).toBe(`http://127.0.0.1:${other.port}`)
      const wallet = new Wallet("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
      const { JsonRpcProvider } = await import("ethers")
      const provider = new JsonRpcProvider(other.rpcUrl, 1337, { staticNetwork: true })
      expect(await provider.getBalance(wallet.address)).toBe(50n * 10n ** 18n)
      await minedReceipt(wallet.connect(provider).sendTransaction({ to: wallet.address, value: 1n }))
      provider.destroy()
      await expect(deployContracts({ rpcUrl: other.rpcUrl })).rejects.toThrow(/nonce 1/)
    } finally {
      await other.stop()
    }
    expect(other.process.exitCode !== null || other.process.signalCode !== null).toBe(true)
    await other.stop() // idempotent
  })

  it("fails clearly when the fixed port is taken", async () => {
    await expect(startAnvil({ port: env.anvil.port })).rejects.toThrow(/anvil/)
  })
})
