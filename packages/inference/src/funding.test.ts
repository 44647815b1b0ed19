/**
 * Top-ups pay for what this client can account for (issue 11): a provider that inflates its reported unsettled fee
 * gets nothing — the wallet, the ledger and the sub-account keep their balances to the neuron — and `maxTopUp` caps
 * a transfer. Against a devnet provider over real HTTP, on real anvil.
 */
import { Ledger } from "@0g-compute/contracts"
import type { Devnet, InferenceProvider } from "@0g-compute/devnet"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { addLedger, startTestDevnet, type TestUser, userClient, ZG } from "./test-util/fixture.js"

let devnet: Devnet
let p: InferenceProvider
let user: TestUser

beforeAll(async () => {
  devnet = await startTestDevnet()
  p = devnet.inference[0] as InferenceProvider
  user = await userClient(devnet, 0)
  await addLedger(user, "20")
  await user.client.acknowledge(p.providerAddress, { allowDevnet: true, fund: "2" })
  // Some real spend, so the accountable amount is more than the margin alone.
  const f = user.client.fetch(p.providerAddress)
  const body = JSON.stringify({ model: p.model, messages: [{ role: "user", content: "a b c" }] })
  await (await f(`${p.url}/v1/proxy/chat/completions`, { method: "POST", body })).text()
})
afterAll(async () => {
  await user?.close()
  await devnet?.stop()
})

const balances = async () => {
  const [wallet, ledger, sub] = await Promise.all([
    user.provider.getBalance(user.address),
    user.client.run(Ledger.use((l) => l.get())),
    user.client.fundingStatus(p.providerAddress),
  ])
  return { wallet, ledger: ledger.totalBalance, available: ledger.availableBalance, sub: sub.balance }
}

describe("top-ups bounded by our own accounting", () => {
  it("a provider claiming 7 0G more than it billed gets nothing: UnsettledFeeDisputed, balances unchanged", async () => {
    const spent = user.client.usage().total.fee
    expect(spent).toBeGreaterThan(0n)
    expect(p.unsettledFee(user.address)).toBe(spent)
    const before = await balances()
    p.faults.set({ inflateUnsettledFee: ZG(7) })
    try {
      const status = await user.client.fundingStatus(p.providerAddress)
      expect(status).toMatchObject({
        claimedUnsettledFee: spent + ZG(7),
        accountableUnsettled: spent + ZG(1), // our spend + the default margin (= headroom, 1 0G)
        unsettledFee: spent + ZG(1),
        overclaim: ZG(6),
      })
      await expect(user.client.ensureFunded(p.providerAddress)).rejects.toMatchObject({
        _tag: "UnsettledFeeDisputed",
        provider: p.providerAddress,
        claimed: spent + ZG(7),
        accountable: spent + ZG(1),
      })
      // The background loop refuses it the same way from its first check.
      await expect(user.client.startAutoTopUp(p.providerAddress, { intervalMs: 60_000 })).rejects.toMatchObject({
        _tag: "UnsettledFeeDisputed",
      })
    } finally {
      p.faults.clear()
    }
    expect(await balances()).toEqual(before)
  })

  it("a claim within our spend plus the margin is paid as before", async () => {
    const before = await balances()
    p.faults.set({ inflateUnsettledFee: ZG("0.5") })
    try {
      const r = await user.client.ensureFunded(p.providerAddress)
      expect(r.status.overclaim).toBe(0n)
      // Spendable 2 − spent is below claimed + reserve + headroom / 2: restored to claimed + reserve + headroom.
      expect(r.transferred).toBe(r.status.target - r.status.spendable)
      expect(r.transferred).toBeGreaterThan(0n)
      const after = await balances()
      expect(after.sub - before.sub).toBe(r.transferred)
    } finally {
      p.faults.clear()
    }
  })

  it("maxTopUp caps a transfer", async () => {
    const before = await balances()
    const r = await user.client.ensureFunded(p.providerAddress, { headroom: ZG(8), maxTopUp: ZG("0.25") })
    expect(r.status.deficit).toBeGreaterThan(ZG("0.25"))
    expect(r.transferred).toBe(ZG("0.25"))
    expect((await balances()).sub - before.sub).toBe(ZG("0.25"))
  })
})
