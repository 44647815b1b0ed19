/**
 * Top-ups pay for what this client can account for (issue 11): a provider that inflates its reported unsettled fee
 * gets nothing — the wallet, the ledger and the sub-account keep their balances to the neuron — and `maxTopUp` caps
 * a transfer. Against a devnet provider over real HTTP, on real anvil.
 */
import { Ledger } from "@0g-compute/contracts"
import { beforeAll, describe, expect, it } from "vitest"
import { createInferenceClient } from "./facade.js"
import { addLedger, type TestUser, userClient, useTestDevnet, ZG } from "./testing/fixture.js"

const t = useTestDevnet({ ledger: "20", acknowledge: { fund: "2" } })
// Some real spend, so the accountable amount is more than the margin alone.
beforeAll(() => chat(t.user))

const chat = async (u: TestUser) => {
  const f = u.client.fetch(t.provider.providerAddress)
  const body = JSON.stringify({ model: t.provider.model, messages: [{ role: "user", content: "a b c" }] })
  const r = await f(`${t.provider.url}/v1/proxy/chat/completions`, { method: "POST", body })
  expect(r.status).toBe(200)
  await r.text()
}

const balances = async () => {
  const [wallet, ledger, sub] = await Promise.all([
    t.user.provider.getBalance(t.user.address),
    t.user.client.run(Ledger.use((l) => l.get())),
    t.user.client.fundingStatus(t.provider.providerAddress),
  ])
  return { wallet, ledger: ledger.total, available: ledger.available, sub: sub.balance }
}

describe("top-ups bounded by our own accounting", () => {
  it("a provider claiming 7 0G more than it billed gets nothing: UnsettledFeeDisputed, balances unchanged", async () => {
    const spent = t.user.client.usage().total.fee
    expect(spent).toBeGreaterThan(0n)
    expect(t.provider.unsettledFee(t.user.address)).toBe(spent)
    const before = await balances()
    t.provider.faults.set({ inflateUnsettledFee: ZG(7) })
    try {
      const status = await t.user.client.fundingStatus(t.provider.providerAddress)
      expect(status).toMatchObject({
        claimedUnsettledFee: spent + ZG(7),
        accountableUnsettled: spent + ZG(1), // our spend + the default margin (= headroom, 1 0G)
        unsettledFee: spent + ZG(1),
        overclaim: ZG(6),
      })
      await expect(t.user.client.ensureFunded(t.provider.providerAddress)).rejects.toMatchObject({
        _tag: "UnsettledFeeDisputed",
        provider: t.provider.providerAddress,
        claimed: spent + ZG(7),
        accountable: spent + ZG(1),
      })
      // The background loop refuses it the same way from its first check.
      await expect(
        t.user.client.startAutoTopUp(t.provider.providerAddress, { intervalMs: 60_000 }),
      ).rejects.toMatchObject({
        _tag: "UnsettledFeeDisputed",
      })
    } finally {
      t.provider.faults.clear()
    }
    expect(await balances()).toEqual(before)
  })

  it("a claim within our spend plus the margin is paid as before", async () => {
    const before = await balances()
    t.provider.faults.set({ inflateUnsettledFee: ZG("0.5") })
    try {
      const r = await t.user.client.ensureFunded(t.provider.providerAddress)
      expect(r.status.overclaim).toBe(0n)
      // Spendable 2 − spent is below claimed + reserve + headroom / 2: restored to claimed + reserve + headroom.
      expect(r.transferred).toBe(r.status.target - r.status.spendable)
      expect(r.transferred).toBeGreaterThan(0n)
      const after = await balances()
      expect(after.sub - before.sub).toBe(r.transferred)
    } finally {
      t.provider.faults.clear()
    }
  })

  it("maxTopUp caps a transfer", async () => {
    const before = await balances()
    const r = await t.user.client.ensureFunded(t.provider.providerAddress, { headroom: ZG(8), maxTopUp: ZG("0.25") })
    expect(r.status.deficit).toBeGreaterThan(ZG("0.25"))
    expect(r.transferred).toBe(ZG("0.25"))
    expect((await balances()).sub - before.sub).toBe(ZG("0.25"))
  })
})

describe("the bound follows unsettled spend, not spend since start", () => {
  it("spend the provider already settled never justifies a claim again: UnsettledFeeDisputed, balances unchanged", async () => {
    await chat(t.user)
    const spent = t.user.client.usage().total.fee
    await t.provider.settleNow()
    expect(t.provider.unsettledFee(t.user.address)).toBe(0n)
    const policy = { unsettledMargin: 1n }
    // This check sees the settlement (the provider reports 0 while we had counted our spend as unsettled).
    expect((await t.user.client.fundingStatus(t.provider.providerAddress, policy)).claimedUnsettledFee).toBe(0n)
    const before = await balances()
    // The provider now claims everything we ever spent with it, all of it settled already.
    t.provider.faults.set({ inflateUnsettledFee: spent })
    try {
      await expect(t.user.client.ensureFunded(t.provider.providerAddress, policy)).rejects.toMatchObject({
        _tag: "UnsettledFeeDisputed",
        claimed: spent,
        accountable: 1n,
      })
      // Spend after the settlement counts again.
      await chat(t.user)
      const after = t.user.client.usage().total.fee - spent
      const s = await t.user.client.fundingStatus(t.provider.providerAddress, policy)
      expect(s.accountableUnsettled).toBe(after + 1n)
    } finally {
      t.provider.faults.clear()
    }
    expect((await balances()).ledger).toBe(before.ledger)
    expect((await balances()).wallet).toBe(before.wallet)
  })
})

describe("a top-up still pending on chain", () => {
  it("is waited for, never followed by a second transfer of another amount", async () => {
    const account = t.devnet.accounts.users[1]
    if (account === undefined) throw new Error("no devnet user 1")
    const other = await userClient(t.devnet, 1)
    await addLedger(other, "20")
    await other.client.acknowledge(t.provider.providerAddress, { allowDevnet: true, fund: "2" })
    // The same wallet, with a short receipt wait, so a transfer without a block times out while pending.
    const client = await createInferenceClient({
      privateKey: account.privateKey,
      provider: other.provider,
      contracts: t.devnet.addresses,
      tx: { receiptTimeoutMs: 300 },
    })
    const u: TestUser = { ...other, client, address: client.address }
    const policy = { headroom: ZG(3) }
    const subBefore = (await client.fundingStatus(t.provider.providerAddress)).balance
    await other.provider.send("evm_setAutomine", [false])
    let hash: string
    try {
      const first = await client.ensureFunded(t.provider.providerAddress, policy).catch((e: unknown) => e)
      expect(first).toMatchObject({ _tag: "TransactionTimeout" })
      hash = (first as { hash: string }).hash
      // Spend changes the deficit computed from the chain, which does not show the pending transfer.
      await chat(u)
      await expect(client.ensureFunded(t.provider.providerAddress, policy)).rejects.toMatchObject({
        _tag: "TopUpPending",
        hash,
      })
      const [pendingNonce, minedNonce] = await Promise.all([
        other.provider.getTransactionCount(client.address, "pending"),
        other.provider.getTransactionCount(client.address, "latest"),
      ])
      expect(pendingNonce - minedNonce).toBe(1)
    } finally {
      await other.provider.send("evm_setAutomine", [true])
      await other.provider.send("evm_mine", [])
    }
    const done = await client.ensureFunded(t.provider.providerAddress, policy)
    expect(done.tx?.hash).toBe(hash)
    const subAfter = (await client.fundingStatus(t.provider.providerAddress)).balance
    expect(subAfter - subBefore).toBe(done.transferred)
    await client.close()
    await other.close()
  })
})
