/**
 * `acknowledgeProvider` verifies the quote before any transaction, against the emulated fine-tuning provider: a devnet
 * quote needs allowDevnet (on chain 31337 only), a pinned compose hash that differs is refused whatever the opt-ins,
 * and a devnet quote served on another chain (anvil started with chain id 16661, our contracts deployed, the service
 * registered there) is refused even with allowDevnet and allowUnverified.
 */
import { createHash } from "node:crypto"
import { LedgerClient } from "@0g-compute/contracts"
import { deployContracts, loadArtifact, minedReceipt, startAnvil } from "@0g-compute/contracts/node"
import { DEVNET_PROVIDER_STAKE, devnetAccounts } from "@0g-compute/devnet"
import { type FineTuningProvider, startFineTuningProvider } from "@0g-compute/devnet/fine-tuning"
import { Redacted } from "effect"
import { Contract, JsonRpcProvider, Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createFineTuningClient } from "../src/node/index.js"
import { failure, PROVIDER, useHarness } from "../src/testing/harness.js"

describe("fine-tuning provider attestation on the devnet", () => {
  const h = useHarness()
  const provider = PROVIDER

  const servedComposeHash = async () => {
    const quote = JSON.parse(await (await fetch(`${h.ft.url}/v1/quote`)).text()) as {
      tcb_info: { app_compose: string }
    }
    return createHash("sha256").update(quote.tcb_info.app_compose).digest("hex")
  }

  it("reports the devnet quote with each check, unpinned, on chain 31337", async () => {
    const user = await h.user()
    const v = await user.client.verifyProvider(provider)
    expect(v).toMatchObject({ devnet: true, quoteVerified: false, chainId: 31337n, assessedBy: "json-level" })
    expect(v.attestation).toMatchObject({ verdict: "devnet", environment: "devnet", refusal: undefined })
    expect(v.attestation.checks.quoteSignature?.status).toBe("devnet")
    expect(v.attestation.checks.composePinned?.status).toBe("unpinned")
  })

  it("refuses a devnet quote without allowDevnet, sending nothing; accepts it with allowDevnet", async () => {
    const user = await h.user()
    const nonce = await h.rpc.getTransactionCount(user.wallet.address)
    const e = await failure(user.client.acknowledgeProvider(provider))
    expect(e).toMatchObject({ _tag: "QuoteRejected", verdict: "devnet", failed: ["quoteSignature"] })
    expect(await h.rpc.getTransactionCount(user.wallet.address)).toBe(nonce)
    const ok = await user.client.acknowledgeProvider(provider, { allowDevnet: true })
    expect(ok.txHash).toMatch(/^0x[0-9a-f]{64}$/)
  })

  it("refuses a pinned compose hash that differs even with every opt-in, and passes the served one", async () => {
    const user = await h.user()
    const nonce = await h.rpc.getTransactionCount(user.wallet.address)
    const all = { allowDevnet: true, allowUnverified: true }
    const e = await failure(user.client.acknowledgeProvider(provider, { ...all, expectComposeHash: "ab".repeat(32) }))
    expect(e).toMatchObject({ _tag: "QuoteRefused", reason: "compose-hash-mismatch" })
    const image = await failure(user.client.acknowledgeProvider(provider, { ...all, expectImage: "devnet/ft-broker" }))
    expect(image).toMatchObject({ _tag: "QuoteRefused", reason: "image-mismatch" }) // needs inference's report
    expect(await h.rpc.getTransactionCount(user.wallet.address)).toBe(nonce)
    const ok = await user.client.acknowledgeProvider(provider, {
      allowDevnet: true,
      expectComposeHash: await servedComposeHash(),
    })
    expect(ok.verification.attestation.checks.composePinned?.status).toBe("pass")
  })

  it("runs the caller's attestation report when given one, and obeys its refusal", async () => {
    const user = await h.user()
    const seen: unknown[] = []
    const e = await failure(
      user.client.acknowledgeProvider(provider, {
        allowDevnet: true,
        allowUnverified: true,
        assess: async (input) => {
          seen.push(input)
          return {
            verdict: "unverified",
            environment: "devnet",
            failed: ["composePinned"],
            checks: {},
            refusal: { reason: "compose-hash-mismatch", detail: "pinned something else" },
          }
        },
      }),
    )
    expect(e).toMatchObject({ _tag: "QuoteRefused", reason: "compose-hash-mismatch" })
    expect(seen).toEqual([
      expect.objectContaining({
        provider,
        chainId: 31337n,
        teeSignerAddress: h.ft.teeSigner,
        quote: expect.any(Object),
      }),
    ])
  })
})

describe("a devnet fine-tuning quote on chain 16661", () => {
  const CHAIN_ID = 16661
  let anvil: Awaited<ReturnType<typeof startAnvil>>
  let ft: FineTuningProvider
  let rpc: JsonRpcProvider
  let client: Awaited<ReturnType<typeof createFineTuningClient>>
  let user: Wallet

  beforeAll(async () => {
    anvil = await startAnvil({ chainId: CHAIN_ID })
    const deployed = await deployContracts({ rpcUrl: anvil.rpcUrl })
    const addresses = { ledger: deployed.ledger, inference: deployed.inference, fineTuning: deployed.fineTuning }
    const accounts = devnetAccounts()
    rpc = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 })
    const abi = loadArtifact("FineTuningServing").abi
    const as = (k: Redacted.Redacted<string>) => new Wallet(Redacted.value(k), rpc)
    const serving = new Contract(addresses.fineTuning, abi, as(accounts.fineTuningProvider.privateKey))
    await minedReceipt(
      serving.getFunction("addOrUpdateService")(
        "http://127.0.0.1:1",
        { cpuCount: 8n, nodeMemory: 32n, gpuCount: 1n, nodeStorage: 100n, gpuType: "devnet-cpu" },
        1_000_000_000n,
        false,
        [],
        accounts.fineTuningSigner.address,
        { value: DEVNET_PROVIDER_STAKE },
      ),
    )
    const owner = new Contract(addresses.fineTuning, abi, as(accounts.deployer.privateKey))
    await minedReceipt(owner.getFunction("acknowledgeTEESignerByOwner")(accounts.fineTuningProvider.address))
    ft = await startFineTuningProvider({ rpcUrl: anvil.rpcUrl, addresses, accounts, stepDelayMs: 0 })
    const key = (accounts.users[0] as { privateKey: Redacted.Redacted<string> }).privateKey
    user = as(key)
    const ledger = await LedgerClient.connect({ privateKey: key, rpcUrl: anvil.rpcUrl, contracts: addresses })
    await ledger.add("5")
    await ledger.close()
    client = await createFineTuningClient({ privateKey: key, rpcUrl: anvil.rpcUrl, contracts: addresses })
  })
  afterAll(async () => {
    await client?.close()
    await ft?.stop()
    rpc?.destroy()
    await anvil?.stop()
  })

  it("is refused even with allowDevnet and allowUnverified, before any transaction", async () => {
    const v = await client.verifyProvider(ft.address)
    expect(v.chainId).toBe(BigInt(CHAIN_ID))
    expect(v.attestation.checks.quoteSignature).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/16661/),
    })
    const nonce = await rpc.getTransactionCount(user.address)
    const e = await failure(client.acknowledgeProvider(ft.address, { allowDevnet: true, allowUnverified: true }))
    expect(e).toMatchObject({ _tag: "QuoteRefused", reason: "devnet-quote-off-devnet" })
    expect(await rpc.getTransactionCount(user.address)).toBe(nonce)
  })
})
