/**
 * Attestation reports and acknowledgement against emulated providers: a devnet quote is reported as devnet (its
 * JSON-level checks pass, the hardware checks are "devnet", never "pass"), a provider is refused without an opt-in,
 * and the user-level acknowledgement ends up on chain by the cheapest honest route.
 */
import { createHash } from "node:crypto"
import { inferenceServing } from "@0g-compute/contracts"
import { minedReceipt } from "@0g-compute/contracts/node"
import { startExtraProvider } from "@0g-compute/devnet/testing"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { describe, expect, it } from "vitest"
import { userClient, useTestDevnet, ZG } from "../testing/fixture.js"

const t = useTestDevnet({ ledger: "10" })

describe("attestation report of a devnet provider", () => {
  it("reports each check separately and the quote as devnet, not verified hardware", async () => {
    const report = await t.user.client.attestationReport(t.provider.providerAddress)
    expect(report.environment).toBe("devnet")
    expect(report.verdict).toBe("devnet")
    expect(report.teeSignerAddress).toBe(t.provider.teeSignerAddress)
    expect(report.checks.quoteFetched.status).toBe("pass")
    expect(report.checks.signerBound).toMatchObject({
      status: "pass",
      detail: expect.stringMatching(/not hardware-signed/),
    })
    expect(report.checks.composeHash.status).toBe("pass")
    expect(report.checks.quoteSignature.status).toBe("devnet")
    expect(report.checks.eventLogReplay.status).toBe("devnet")
    expect(report.checks.gpuEvidence.status).toBe("skipped")
    expect(report.failed).toEqual(["quoteSignature", "eventLogReplay"])
    expect(report.tdx).toBeUndefined()
    expect(report.chainId).toBe(31337n)
    expect(report.checks.composePinned.status).toBe("unpinned")
    expect(report.checks.imagePinned.status).toBe("unpinned")
  })
})

describe("measurement pins against the devnet provider", () => {
  const servedComposeHash = async () => {
    const quote = (await (await fetch(`${t.provider.url}/v1/quote`)).json()) as { tcb_info: { app_compose: string } }
    return createHash("sha256").update(quote.tcb_info.app_compose).digest("hex")
  }

  it("the served compose hash and image pass their pins", async () => {
    const report = await t.user.client.attestationReport(t.provider.providerAddress, {
      expectComposeHash: await servedComposeHash(),
      expectImage: "0g-devnet/inference-emulator:local",
    })
    expect(report.checks.composePinned.status).toBe("pass")
    expect(report.checks.imagePinned.status).toBe("pass")
    expect(report.verdict).toBe("devnet")
  })

  it("pins from the client's config apply to every report of that provider; pins given per call win", async () => {
    const pinnedUser = await userClient(t.devnet, 1, {
      attestationPins: { [t.provider.providerAddress.toLowerCase()]: { expectComposeHash: "12".repeat(32) } },
    })
    try {
      const report = await pinnedUser.client.attestationReport(t.provider.providerAddress)
      expect(report.checks.composePinned.status).toBe("fail")
      await expect(
        pinnedUser.client.acknowledge(t.provider.providerAddress, { allowDevnet: true, allowUnverified: true }),
      ).rejects.toMatchObject({ _tag: "AttestationRefused", reason: "compose-hash-mismatch" })
      const override = await pinnedUser.client.attestationReport(t.provider.providerAddress, {
        expectComposeHash: await servedComposeHash(),
      })
      expect(override.checks.composePinned.status).toBe("pass")
    } finally {
      await pinnedUser.close()
    }
  })

  it("a different pin refuses the acknowledgement whatever the opt-ins, and nothing is sent", async () => {
    const nonce = await t.user.provider.getTransactionCount(t.user.address)
    const all = { allowDevnet: true, allowUnverified: true, fund: "1" }
    await expect(
      t.user.client.acknowledge(t.provider.providerAddress, { ...all, expectComposeHash: "11".repeat(32) }),
    ).rejects.toMatchObject({ _tag: "AttestationRefused", reason: "compose-hash-mismatch" })
    await expect(
      t.user.client.acknowledge(t.provider.providerAddress, { ...all, expectImage: `sha256:${"22".repeat(32)}` }),
    ).rejects.toMatchObject({ _tag: "AttestationRefused", reason: "image-mismatch" })
    expect(await t.user.provider.getTransactionCount(t.user.address)).toBe(nonce)
  })
})

describe("acknowledge", () => {
  it("refuses a devnet provider unless the caller opts in", async () => {
    await expect(t.user.client.acknowledge(t.provider.providerAddress)).rejects.toMatchObject({
      _tag: "AttestationRejected",
      failed: ["quoteSignature", "eventLogReplay"],
    })
  })

  it("never creates a sub-account implicitly; with `fund` it creates one, which acknowledges in the same transaction", async () => {
    await expect(t.user.client.acknowledge(t.provider.providerAddress, { allowDevnet: true })).rejects.toMatchObject({
      _tag: "SubAccountMissing",
    })
    const nonce = await t.user.provider.getTransactionCount(t.user.address)
    const created = await t.user.client.acknowledge(t.provider.providerAddress, { allowDevnet: true, fund: "1.5" })
    expect(created.onChain).toBe("created")
    expect(await t.user.provider.getTransactionCount(t.user.address)).toBe(nonce + 1)
    const account = await inferenceServing(t.devnet.addresses.inference, t.user.provider).getAccount(
      t.user.address,
      t.provider.providerAddress,
    )
    expect(account.acknowledged).toBe(true)
    expect(account.balance).toBe(ZG("1.5"))
    const again = await t.user.client.acknowledge(t.provider.providerAddress, { allowDevnet: true, fund: "1" })
    expect(again).toMatchObject({ onChain: "already-acknowledged", tx: undefined })
    expect(await t.user.provider.getTransactionCount(t.user.address)).toBe(nonce + 1)
  })

  it("re-acknowledges an existing sub-account whose acknowledgement the user withdrew", async () => {
    // An account can only be un-acknowledged at balance 0: let an expensive provider settle all of it away.
    const pricey = await startExtraProvider(t.devnet, t.user.provider, { inputPrice: ZG(1), outputPrice: ZG(1) })
    try {
      await t.user.client.acknowledge(pricey.providerAddress, { allowDevnet: true, fund: "1" })
      const f = t.user.client.fetch(pricey.providerAddress)
      const res = await f(`${pricey.url}/v1/proxy/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: pricey.model, messages: [{ role: "user", content: "hi" }] }),
      })
      await res.text()
      const report = await pricey.settleNow()
      expect(report.items[0]?.status).toBe(1) // PARTIAL: the fee exceeded the balance, all of it was taken
      const wallet = new Wallet(
        Redacted.value((t.devnet.accounts.users[0] as { privateKey: Redacted.Redacted<string> }).privateKey),
        t.user.provider,
      )
      const serving = inferenceServing(t.devnet.addresses.inference, wallet)
      await minedReceipt(serving.acknowledgeTEESigner(pricey.providerAddress, false))
      expect((await serving.getAccount(t.user.address, pricey.providerAddress)).acknowledged).toBe(false)

      const result = await t.user.client.acknowledge(pricey.providerAddress, { allowDevnet: true })
      expect(result.onChain).toBe("acknowledged")
      expect(result.tx?.hash).toMatch(/^0x[0-9a-f]{64}$/)
      expect((await serving.getAccount(t.user.address, pricey.providerAddress)).acknowledged).toBe(true)
    } finally {
      await pricey.stop()
    }
  })
})
