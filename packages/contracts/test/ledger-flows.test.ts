import { Wallet } from "ethers"
import { describe, expect, it } from "vitest"
import {
  E,
  events,
  expectRevert,
  FINE_TUNING,
  INFERENCE,
  LOCK_TIME,
  mined,
  useReferenceSuite,
} from "../src/testing/reference.js"

const { env, r } = useReferenceSuite({ inference: true, fineTuning: true })

const ledgerOf = async (w: Wallet): Promise<[bigint, bigint]> => {
  const l = await env.ledger.getLedger(w.address)
  return [l.availableBalance, l.totalBalance]
}
const inf = async (w: Wallet) => env.inference.getAccount(w.address, r.provider1.address)
const ft = async (w: Wallet) => env.fineTuning.getAccount(w.address, r.provider1.address)
const retrieve = (w: Wallet, name = INFERENCE) => mined(env.ledger.as(w).retrieveFund([r.provider1.address], name))
const transfer = (w: Wallet, amount: bigint, name = INFERENCE) =>
  mined(env.ledger.as(w).transferFund(r.provider1.address, name, amount))

describe("ledger -> sub-account transfers", () => {
  it("moves available balance into both services' sub-accounts", async () => {
    expect(await ledgerOf(r.user1)).toEqual([E(6), E(10)])
    expect((await inf(r.user1)).balance).toBe(E(2))
    expect((await ft(r.user1)).balance).toBe(E(2))
    expect(await env.balanceOf(env.addrs.inference)).toBe(E(3) + E(100)) // sub-accounts + stake
    const receipt = await transfer(r.user1, E("0.3"))
    expect(events(receipt, env.inference, "BalanceUpdated")).toEqual([
      [r.user1.address, r.provider1.address, E("2.3"), 0n],
    ])
    expect(await ledgerOf(r.user1)).toEqual([E("5.7"), E(10)])
  })

  it("needs the minimum for a new sub-account and enough available balance", async () => {
    const u = env.ledger.as(r.user1)
    await expectRevert(
      u.transferFund(r.provider2.address, INFERENCE, E("0.9")),
      u.interface,
      "MinimumDepositRequired",
      [E("0.9"), E(1)],
    )
    await expectRevert(
      u.transferFund(r.provider1.address, INFERENCE, E(7)),
      u.interface,
      "InsufficientAvailableBalance",
      [E(6), E(7)],
    )
    await expectRevert(
      u.transferFund(r.provider2.address, INFERENCE, E(7)),
      u.interface,
      "InsufficientAvailableBalance",
      [E(6), E(7)],
    )
    await mined(u.transferFund(r.provider1.address, INFERENCE, 0n)) // zero top-up of an existing account is fine
  })

  it("cancels pending refunds first: pending 1, transfer 1.5 -> balance 1.5, pending 0", async () => {
    await retrieve(r.owner)
    expect([(await inf(r.owner)).balance, (await inf(r.owner)).pendingRefund]).toEqual([E(1), E(1)])
    await transfer(r.owner, E("1.5"))
    const a = await inf(r.owner)
    expect([a.balance, a.pendingRefund]).toEqual([E("1.5"), 0n])
    // owner: 5 - 1 (inference) - 1 (fine-tuning) = 3 available; only 0.5 actually moved
    expect(await ledgerOf(r.owner)).toEqual([E("2.5"), E(5)])
  })

  it("pending 1, transfer 0.5 -> balance 1, pending 0.5, nothing sent", async () => {
    await retrieve(r.owner)
    const held = await env.balanceOf(env.addrs.inference)
    await transfer(r.owner, E("0.5"))
    const a = await inf(r.owner)
    expect([a.balance, a.pendingRefund]).toEqual([E(1), E("0.5")])
    expect(await env.balanceOf(env.addrs.inference)).toBe(held)
    expect(await ledgerOf(r.owner)).toEqual([E(3), E(5)])
  })

  it("reuses refund slots: full cancel then a new retrieve keeps refunds.length at 1", async () => {
    await retrieve(r.owner)
    await transfer(r.owner, E(1))
    expect((await inf(r.owner)).pendingRefund).toBe(0n)
    const receipt = await retrieve(r.owner)
    const a = await inf(r.owner)
    expect(a.refunds.length).toBe(1)
    expect(a.validRefundsLength).toBe(1n)
    expect(a.refunds[0].amount).toBe(E(1))
    expect(events(receipt, env.inference, "RefundRequested").map((e) => e[2])).toEqual([0n])
  })

  it("limits: 21 providers per retrieve, 5 live refunds, 50 providers per service", async () => {
    const u = env.ledger.as(r.user1)
    const many = Array.from({ length: 21 }, () => Wallet.createRandom().address)
    await expectRevert(u.retrieveFund(many, INFERENCE), u.interface, "TooManyProviders", [21n, 20n])
    // unknown providers are skipped silently
    await mined(u.retrieveFund(many.slice(0, 20), INFERENCE))

    // five live refunds via small top-ups (each cancels from the newest refund only)
    await retrieve(r.user1)
    for (const top of ["0.5", "0.2", "0.1", "0.05"]) {
      await transfer(r.user1, E(top))
      await retrieve(r.user1)
    }
    expect((await inf(r.user1)).validRefundsLength).toBe(5n)
    await transfer(r.user1, E("0.01"))
    await expectRevert(u.retrieveFund([r.provider1.address], INFERENCE), env.inference.interface, "TooManyRefunds", [
      r.user1.address,
      r.provider1.address,
    ])

    await mined(u.depositFund({ value: E(60) }))
    for (let i = 1; i < 50; i++) await mined(u.transferFund(Wallet.createRandom().address, FINE_TUNING, E(1)))
    expect((await env.ledger.getLedgerProviders(r.user1.address, FINE_TUNING)).length).toBe(50)
    await expectRevert(
      u.transferFund(Wallet.createRandom().address, FINE_TUNING, E(1)),
      u.interface,
      "TooManyProvidersForService",
      [50n, 50n],
    )
  })
})

describe("two-phase retrieve with lockTime", () => {
  for (const [label, name] of [
    ["inference", INFERENCE],
    ["fine-tuning", FINE_TUNING],
  ] as const) {
    it(`${label}: nothing at unlock - 1, everything at unlock + 1`, async () => {
      const account = label === "inference" ? inf : ft
      const receipt = await retrieve(r.user1, name)
      const createdAt = (await account(r.user1)).refunds[0].createdAt as bigint
      expect(createdAt).toBe(BigInt((await env.provider.getBlock(receipt.blockNumber))?.timestamp ?? 0))
      const unlock = Number(createdAt) + LOCK_TIME

      await env.setNextTimestamp(unlock - 1)
      await retrieve(r.user1, name)
      expect(await ledgerOf(r.user1)).toEqual([E(6), E(10)])
      expect((await account(r.user1)).balance).toBe(E(2))

      await env.setNextTimestamp(unlock + 1)
      const paid = await retrieve(r.user1, name)
      const a = await account(r.user1)
      expect([a.balance, a.pendingRefund, a.validRefundsLength]).toEqual([0n, 0n, 0n])
      expect(await ledgerOf(r.user1)).toEqual([E(8), E(10)])
      const svc = label === "inference" ? env.inference : env.fineTuning
      expect(events(paid, svc, "BalanceUpdated")).toEqual([[r.user1.address, r.provider1.address, 0n, 0n]])
    })
  }

  it("processRefund uses the current lockTime (updateLockTime is retroactive)", async () => {
    await retrieve(r.user1)
    await env.increaseTime(3_700)
    await retrieve(r.user1)
    expect((await inf(r.user1)).balance).toBe(E(2))
    await mined(env.inference.updateLockTime(3_600))
    await retrieve(r.user1)
    expect((await inf(r.user1)).balance).toBe(0n)
    expect(await ledgerOf(r.user1)).toEqual([E(8), E(10)])
  })

  it("a fine-tuning round trip credits exactly the retrieved amount (no double count via receive())", async () => {
    const ledgerEth = await env.balanceOf(env.addrs.ledger)
    await retrieve(r.owner, FINE_TUNING)
    await env.increaseTime(LOCK_TIME + 1)
    await retrieve(r.owner, FINE_TUNING)
    expect(await ledgerOf(r.owner)).toEqual([E(4), E(5)])
    expect(await env.balanceOf(env.addrs.ledger)).toBe(ledgerEth + E(1))
    expect((await ft(r.owner)).balance).toBe(0n)
  })
})

describe("full exit", () => {
  it("two users: retrieve, wait, retrieve, refund all -> ledger and sub-accounts deleted, the other user survives", async () => {
    await retrieve(r.owner)
    await retrieve(r.owner, FINE_TUNING)
    await env.increaseTime(LOCK_TIME + 1)
    await retrieve(r.owner)
    await retrieve(r.owner, FINE_TUNING)
    expect(await ledgerOf(r.owner)).toEqual([E(5), E(5)])

    const before = await env.balanceOf(r.owner.address)
    const receipt = await mined(env.ledger.as(r.owner).refund(E(5)))
    expect(await env.balanceOf(r.owner.address)).toBe(before + E(5) - receipt.gasUsed * receipt.gasPrice)
    expect(events(receipt, env.inference, "AccountDeleted")).toEqual([[r.owner.address, r.provider1.address, 0n]])
    expect(events(receipt, env.fineTuning, "AccountDeleted")).toEqual([[r.owner.address, r.provider1.address, 0n]])
    await expectRevert(env.ledger.getLedger(r.owner.address), env.ledger.interface, "LedgerNotExists", [
      r.owner.address,
    ])
    expect(await env.inference.accountExists(r.owner.address, r.provider1.address)).toBe(false)
    expect(await env.ledger.getLedgerProviders(r.owner.address, INFERENCE)).toEqual([])

    const [accounts, total] = await env.inference.getAllAccounts(0, 0)
    expect(total).toBe(1n)
    expect(accounts[0].user).toBe(r.user1.address)
    expect((await env.fineTuning.getAllAccounts(0, 0))[1]).toBe(1n)
    const [ledgers] = await env.ledger.getAllLedgers(0, 0)
    expect(ledgers.map((l: { user: string }) => l.user)).toEqual([r.user1.address])

    // a new ledger starts clean and may fund the same provider again
    await mined(env.ledger.as(r.owner).addLedger("again", { value: E(3) }))
    await transfer(r.owner, E(1))
    expect((await inf(r.owner)).balance).toBe(E(1))
  })
})
