import { loadArtifact } from "@0g-compute/contracts/node"
import { Redacted } from "effect"
import { Contract, JsonRpcProvider, Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Devnet, startDevnet } from "./devnet.js"

describe("startDevnet", () => {
  let devnet: Devnet
  let provider: JsonRpcProvider
  beforeAll(async () => {
    devnet = await startDevnet()
    provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true })
  })
  afterAll(async () => {
    provider?.destroy()
    await devnet?.stop()
  })

  it("deploys at the official SDK's 31337 addresses", async () => {
    expect(devnet.chainId).toBe(31337n)
    expect(devnet.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(devnet.addresses).toEqual({
      ledger: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
      inference: "0x0165878A594ca255338adfa4d48449f69242Eb8F",
      fineTuning: "0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0",
    })
    for (const address of Object.values(devnet.addresses)) expect(await provider.getCode(address)).not.toBe("0x")
  })

  it("registers the services in the ledger registry as recommended", async () => {
    const ledger = new Contract(devnet.addresses.ledger, loadArtifact("LedgerManager").abi, provider)
    const [version, address] = await ledger.getFunction("getRecommendedService")("inference")
    expect([version, address]).toEqual(["v1.0", devnet.addresses.inference])
    const ft = await ledger.getFunction("getRecommendedService")("fine-tuning")
    expect(ft[1]).toBe(devnet.addresses.fineTuning)
  })

  it("registers staked, owner-acknowledged TeeML inference and fine-tuning services", async () => {
    const inf = new Contract(devnet.addresses.inference, loadArtifact("InferenceServing").abi, provider)
    const [svc] = devnet.services.inference
    const s = await inf.getFunction("getService")(svc?.provider.address)
    expect(s.verifiability).toBe("TeeML")
    expect(s.teeSignerAddress).toBe(svc?.teeSigner.address)
    expect(s.teeSignerAcknowledged).toBe(true)
    expect(s.inputPrice).toBe(svc?.inputPrice)
    expect(() => JSON.parse(s.additionalInfo)).not.toThrow()
    expect(s.url.endsWith("/")).toBe(false)
    // The emulated provider listens at the registered URL.
    expect(s.url).toBe(devnet.inference[0]?.url)
    expect((await fetch(`${s.url}/v1/quote`)).status).toBe(200)
    const ft = new Contract(devnet.addresses.fineTuning, loadArtifact("FineTuningServing").abi, provider)
    const [fsvc] = devnet.services.fineTuning
    const f = await ft.getFunction("getService")(fsvc?.provider.address)
    expect(f.teeSignerAcknowledged).toBe(true)
    expect(f.teeSignerAddress).toBe(fsvc?.teeSigner.address)
  })

  it("funds distinct, usable test accounts whose keys match their addresses", async () => {
    const addrs = devnet.accounts.all.map((a) => a.address)
    expect(new Set(addrs).size).toBe(addrs.length)
    expect(devnet.accounts.deployer.address).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    for (const a of devnet.accounts.users) {
      expect(new Wallet(Redacted.value(a.privateKey)).address).toBe(a.address)
      expect(await provider.getBalance(a.address)).toBeGreaterThan(10n ** 21n)
    }
    expect(String(devnet.accounts.users[0]?.privateKey)).not.toMatch(/[0-9a-f]{64}/)
  })

  it("stops its emulated inference providers with the chain", async () => {
    const other = await startDevnet({ inference: { settleIntervalMs: 0 } })
    const url = other.inference[0]?.url as string
    expect((await fetch(`${url}/v1/models`)).status).toBe(200)
    await other.stop()
    await expect(fetch(`${url}/v1/models`)).rejects.toThrow()
  })

  it("runs several devnets side by side on distinct ports", async () => {
    const other = await startDevnet({ registerServices: false })
    try {
      expect(other.port).not.toBe(devnet.port)
      expect(other.addresses.ledger).toBe(devnet.addresses.ledger)
    } finally {
      await other.stop()
    }
  })
})
