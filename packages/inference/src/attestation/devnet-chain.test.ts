/**
 * A devnet (emulated) quote served on a chain that is not the local devnet: anvil started with chain id 16661 (the 0G
 * mainnet id), our contracts deployed on it, and the emulated provider registered there. The report fails the quote
 * and acknowledge refuses it even with allowDevnet and allowUnverified; nothing is sent on chain.
 */
import { deployContracts, startAnvil } from "@0g-compute/contracts/node"
import { makeRpcProvider } from "@0g-compute/core"
import { devnetAccounts, type InferenceProvider, startInferenceProvider } from "@0g-compute/devnet"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createInferenceClient, type InferenceClient } from "../facade.js"

const CHAIN_ID = 16661
let anvil: Awaited<ReturnType<typeof startAnvil>>
let provider: InferenceProvider
let client: InferenceClient
let rpc: ReturnType<typeof makeRpcProvider>

beforeAll(async () => {
  anvil = await startAnvil({ chainId: CHAIN_ID })
  const deployed = await deployContracts({ rpcUrl: anvil.rpcUrl })
  const accounts = devnetAccounts()
  rpc = makeRpcProvider(anvil.rpcUrl, BigInt(CHAIN_ID))
  provider = await startInferenceProvider({
    rpcUrl: anvil.rpcUrl,
    chainId: BigInt(CHAIN_ID),
    contract: deployed.inference,
    providerKey: accounts.inferenceProvider.privateKey,
    teeKey: accounts.inferenceSigner.privateKey,
    settleIntervalMs: 0,
    acknowledgeWith: new Wallet(Redacted.value(accounts.deployer.privateKey), rpc),
  })
  client = await createInferenceClient({
    privateKey: (accounts.users[0] as { privateKey: Redacted.Redacted<string> }).privateKey,
    provider: rpc,
    contracts: { ledger: deployed.ledger, inference: deployed.inference, fineTuning: deployed.fineTuning },
  })
})
afterAll(async () => {
  await client?.close()
  await provider?.stop()
  rpc?.destroy()
  await anvil?.stop()
})

describe("a devnet quote off the devnet chain", () => {
  it("fails the quote check in the report", async () => {
    const report = await client.attestationReport(provider.providerAddress)
    expect(report.chainId).toBe(BigInt(CHAIN_ID))
    expect(report.environment).toBe("devnet")
    expect(report.checks.quoteSignature).toMatchObject({ status: "fail", detail: expect.stringMatching(/16661/) })
    expect(report.verdict).toBe("unverified")
  })

  it("is refused even with allowDevnet and allowUnverified, before any transaction", async () => {
    const nonce = await rpc.getTransactionCount(client.address)
    await expect(
      client.acknowledge(provider.providerAddress, { allowDevnet: true, allowUnverified: true, fund: "1" }),
    ).rejects.toMatchObject({ _tag: "AttestationRefused", reason: "devnet-quote-off-devnet" })
    expect(await rpc.getTransactionCount(client.address)).toBe(nonce)
  })
})
