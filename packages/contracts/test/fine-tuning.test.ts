import { hexlify, randomBytes, ZeroAddress } from "ethers"
import { describe, expect, it } from "vitest"
import {
  E,
  events,
  expectRevert,
  expectStringRevert,
  FINE_TUNING,
  freshProxy,
  LOCK_TIME,
  mined,
  QUOTA,
  useReferenceSuite,
} from "../src/testing/reference.js"

const { env, r } = useReferenceSuite({ fineTuning: true })

const p1 = () => r.provider1.address
const asP1 = () => env.fineTuning.as(r.provider1)
const asUser1 = () => env.fineTuning.as(r.user1)
const ids = async () =>
  (await env.fineTuning.getDeliverables(r.user1.address, p1())).map((d: { id: string }) => d.id) as string[]
const root = (i: number) => hexlify(new Uint8Array([0xab, i]))
const add = (id: string, i = 0) => mined(asP1().addDeliverable(r.user1.address, id, root(i)))
const ackD = (id: string) => mined(asUser1().acknowledgeDeliverable(p1(), id))
const abandon = (id: string) => mined(asP1().abandonDeliverable(r.user1.address, id))

describe("FineTuningServing owner functions and initializer", () => {
  it("updateLockTime / updatePenaltyPercentage, owner only", async () => {
    const i = env.fineTuning.interface
    expect(events(await mined(env.fineTuning.updateLockTime(7200)), env.fineTuning, "LockTimeUpdated")).toEqual([
      [86_400n, 7200n],
    ])
    expect((await mined(env.fineTuning.updateLockTime(7200))).logs.length).toBe(0) // unchanged: no event
    await expectRevert(env.fineTuning.updateLockTime(100), i, "LockTimeOutOfRange", [100n])
    const pct = await mined(env.fineTuning.updatePenaltyPercentage(60))
    expect(pct.logs.length).toBe(0)
    expect(await env.fineTuning.penaltyPercentage()).toBe(60n)
    await expectRevert(env.fineTuning.updatePenaltyPercentage(101), i, "PenaltyPercentageTooHigh", [101n])
    await expectStringRevert(asUser1().updatePenaltyPercentage(1), i, "Ownable: caller is not the owner")
    await expectStringRevert(asUser1().updateLockTime(7200), i, "Ownable: caller is not the owner")
  })

  it("initialize checks the ledger address, the penalty and the lock time in that order", async () => {
    const c = await freshProxy(env.addrs.beacons.fineTuning, env.fineTuning.interface, r.owner)
    const init = c.getFunction("initialize")
    const i = env.fineTuning.interface
    await expectRevert(init(1, ZeroAddress, r.owner.address, 101), i, "InvalidLedgerAddress", [])
    await expectRevert(init(1, r.user1.address, r.owner.address, 101), i, "InvalidLedgerAddress", [])
    await expectRevert(init(1, env.addrs.ledger, r.owner.address, 101), i, "PenaltyPercentageTooHigh", [101n])
    await expectRevert(init(1, env.addrs.ledger, r.owner.address, 100), i, "LockTimeOutOfRange", [1n])
    const receipt = await mined(init(3600, env.addrs.ledger, r.user1.address, 100))
    const names = receipt.logs.map((l) => i.parseLog(l)?.name)
    expect(names).toEqual(["OwnershipTransferred", "Initialized"])
    expect(await c.getFunction("owner")()).toBe(r.user1.address)
  })
})

describe("FineTuningServing accounts and services", () => {
  it("lists summaries with pagination, by provider/user, batch (missing -> zero entry)", async () => {
    await mined(env.ledger.as(r.user1).transferFund(p1(), FINE_TUNING, E("0.5"))) // top-up
    const [all, total] = await env.fineTuning.getAllAccounts(0, 0)
    expect(total).toBe(2n)
    expect([...all[1]]).toEqual([r.user1.address, p1(), 0n, E("2.5"), 0n, "", 0n, 0n, true])
    const [empty, t2] = await env.fineTuning.getAllAccounts(10, 0)
    expect([empty.length, t2]).toEqual([0, 2n])
    await expectRevert(env.fineTuning.getAllAccounts(0, 51), env.fineTuning.interface, "LimitTooLarge", [51n])
    const [byP] = await env.fineTuning.getAccountsByProvider(p1(), 1, 1)
    expect(byP.map((a: { user: string }) => a.user)).toEqual([r.user1.address])
    const [byU, tu] = await env.fineTuning.getAccountsByUser(r.owner.address, 0, 0)
    expect([byU[0].balance, tu]).toEqual([E(1), 1n])
    const batch = await asP1().getBatchAccountsByUsers([r.user2.address, r.owner.address])
    expect([batch[0].user, batch[0].balance, batch[1].balance]).toEqual([ZeroAddress, 0n, E(1)])
    const many = Array.from({ length: 51 }, () => r.user2.address)
    await expectRevert(asP1().getBatchAccountsByUsers(many), env.fineTuning.interface, "BatchSizeTooLarge", [51n, 50n])
  })

  it("getService / getAllServices with quota, models, signer and occupied", async () => {
    const s = await env.fineTuning.getService(p1())
    expect(s.provider).toBe(p1())
    expect(s.url).toBe("https://ft.example")
    expect([...s.quota]).toEqual([8n, 64n, 1n, 1000n, "H100"])
    expect([s.pricePerToken, s.occupied, [...s.models], s.teeSignerAddress, s.teeSignerAcknowledged]).toEqual([
      10n,
      false,
      ["qwen"],
      r.signer.address,
      true,
    ])
    const all = await env.fineTuning.getAllServices()
    expect(all.map((x: { provider: string }) => x.provider)).toEqual([p1()])
    await expectRevert(env.fineTuning.getService(r.provider2.address), env.fineTuning.interface, "ServiceNotExist", [
      r.provider2.address,
    ])
  })

  it("update emits ServiceUpdated(p, url, quota, price, signer, occupied), stores models; only a signer change resets the ack", async () => {
    const quota = { ...QUOTA, gpuCount: 4n, gpuType: "A100" }
    const receipt = await mined(asP1().addOrUpdateService("https://v2", quota, 20n, true, ["a", "b"], r.signer.address))
    expect(events(receipt, env.fineTuning, "ServiceUpdated")).toEqual([
      [p1(), "https://v2", [8n, 64n, 4n, 1000n, "A100"], 20n, r.signer.address, true],
    ])
    let s = await env.fineTuning.getService(p1())
    expect([[...s.models], s.occupied, s.teeSignerAcknowledged]).toEqual([["a", "b"], true, true])
    await mined(asP1().addOrUpdateService("https://v2", quota, 20n, true, ["a"], r.user2.address))
    s = await env.fineTuning.getService(p1())
    expect([s.teeSignerAddress, s.teeSignerAcknowledged]).toEqual([r.user2.address, false])
    const i = env.fineTuning.interface
    await expectRevert(
      asP1().addOrUpdateService("u", QUOTA, 1n, false, [], r.signer.address, { value: 1n }),
      i,
      "CannotAddStakeWhenUpdating",
      [],
    )
    await expectRevert(
      env.fineTuning.as(r.provider2).addOrUpdateService("u", QUOTA, 1n, false, [], r.signer.address, { value: E(1) }),
      i,
      "InsufficientStake",
      [E(1), E(100)],
    )
  })

  it("remove returns the stake", async () => {
    const before = await env.balanceOf(p1())
    const receipt = await mined(asP1().removeService())
    expect(receipt.logs.map((l) => env.fineTuning.interface.parseLog(l)?.name)).toEqual([
      "ProviderStakeReturned",
      "ServiceRemoved",
    ])
    expect(await env.balanceOf(p1())).toBe(before + E(100) - receipt.gasUsed * receipt.gasPrice)
    expect(await env.fineTuning.getAllServices()).toEqual([])
  })

  it("refund slots as in inference: 1 live after retrieve, 0 after processing, slot reused by a 0.3 top-up", async () => {
    const u = env.ledger.as(r.user1)
    const acct = () => env.fineTuning.getAccount(r.user1.address, p1())
    await mined(u.retrieveFund([p1()], FINE_TUNING))
    let a = await acct()
    expect([a.refunds.length, a.validRefundsLength, a.pendingRefund]).toEqual([1, 1n, E(2)])
    expect(await env.fineTuning.getPendingRefund(r.user1.address, p1())).toBe(E(2))
    await env.increaseTime(LOCK_TIME + 1)
    await mined(u.retrieveFund([p1()], FINE_TUNING))
    a = await acct()
    expect([a.refunds.length, a.validRefundsLength, a.balance]).toEqual([1, 0n, 0n])
    await mined(u.transferFund(p1(), FINE_TUNING, E("0.3")))
    await mined(u.retrieveFund([p1()], FINE_TUNING))
    a = await acct()
    expect([a.refunds.length, a.validRefundsLength, a.refunds[0].amount]).toEqual([1, 1n, E("0.3")])
    expect((await env.ledger.getLedger(r.user1.address)).availableBalance).toBe(E("9.7"))
  })

  it("ledger-only entry points revert CallerNotLedger() without arguments", async () => {
    const i = env.fineTuning.interface
    await expectRevert(asUser1().addAccount(r.user1.address, p1(), ""), i, "CallerNotLedger", [])
    await expectRevert(asUser1().requestRefundAll(r.user1.address, p1()), i, "CallerNotLedger", [])
  })
})

describe("FineTuningServing deliverables", () => {
  it("add -> acknowledge -> add; events and stored fields", async () => {
    const receipt = await add("task-1", 1)
    const ts = BigInt(await env.now())
    expect(events(receipt, env.fineTuning, "DeliverableAdded")).toEqual([
      [r.user1.address, p1(), "task-1", root(1), ts],
    ])
    const d = await env.fineTuning.getDeliverable(r.user1.address, p1(), "task-1")
    expect([...d]).toEqual(["task-1", root(1), "0x", false, ts, false])
    const acked = await ackD("task-1")
    expect(events(acked, env.fineTuning, "DeliverableAcknowledged")[0]?.slice(0, 3)).toEqual([
      r.user1.address,
      p1(),
      "task-1",
    ])
    await add("task-2", 2)
    expect(await ids()).toEqual(["task-1", "task-2"])
    const acct = await env.fineTuning.getAccount(r.user1.address, p1())
    expect([acct.deliverablesHead, acct.deliverablesCount, acct.deliverables.length]).toEqual([0n, 2n, 2])
  })

  it("enforces id length, account, uniqueness and the serial rule", async () => {
    const i = env.fineTuning.interface
    await expectRevert(asP1().addDeliverable(r.user1.address, "", "0x01"), i, "DeliverableIdInvalidLength", [0n])
    await expectRevert(
      asP1().addDeliverable(r.user1.address, "x".repeat(257), "0x01"),
      i,
      "DeliverableIdInvalidLength",
      [257n],
    )
    await expectRevert(asP1().addDeliverable(r.user2.address, "t", "0x01"), i, "AccountNotExists", [
      r.user2.address,
      p1(),
    ])
    await add("x".repeat(256))
    await expectRevert(asP1().addDeliverable(r.user1.address, "x".repeat(256), "0x01"), i, "DeliverableAlreadyExists", [
      "x".repeat(256),
    ])
    await expectRevert(
      asP1().addDeliverable(r.user1.address, "next", "0x01"),
      i,
      "PreviousDeliverableNotAcknowledged",
      ["x".repeat(256)],
    )
    await expectRevert(asUser1().acknowledgeDeliverable(p1(), "nope"), i, "DeliverableNotExists", ["nope"])
    await expectRevert(env.fineTuning.getDeliverable(r.user1.address, p1(), "nope"), i, "DeliverableNotExists", [
      "nope",
    ])
    await expectRevert(env.fineTuning.as(r.user2).acknowledgeDeliverable(p1(), "x"), i, "AccountNotExists", [
      r.user2.address,
      p1(),
    ])
  })

  it("abandon unblocks the serial rule; a settled deliverable cannot be abandoned or acknowledged", async () => {
    const i = env.fineTuning.interface
    await add("failed")
    const receipt = await abandon("failed")
    expect(events(receipt, env.fineTuning, "DeliverableAbandoned")[0]?.slice(0, 3)).toEqual([
      r.user1.address,
      p1(),
      "failed",
    ])
    const d = await env.fineTuning.getDeliverable(r.user1.address, p1(), "failed")
    expect([d.acknowledged, d.settled]).toEqual([true, true])
    await expectRevert(asP1().abandonDeliverable(r.user1.address, "failed"), i, "CannotAbandonSettledDeliverable", [
      "failed",
    ])
    await expectRevert(asUser1().acknowledgeDeliverable(p1(), "failed"), i, "CannotAcknowledgeSettledDeliverable", [
      "failed",
    ])
    await add("retry")
    expect(await ids()).toEqual(["failed", "retry"])
    await expectRevert(
      env.fineTuning.as(r.provider2).abandonDeliverable(r.user1.address, "retry"),
      i,
      "AccountNotExists",
      [r.user1.address, r.provider2.address],
    )
  })

  it("ring buffer of 20: evicts only settled deliverables, oldest first", async () => {
    const i = env.fineTuning.interface
    const id = (n: number) => hexlify(randomBytes(32)).slice(0, 10) + String(n)
    const all = Array.from({ length: 22 }, (_, n) => id(n))
    for (let n = 0; n < 20; n++) {
      await add(all[n] as string, n)
      await ackD(all[n] as string)
    }
    const acct = await env.fineTuning.getAccount(r.user1.address, p1())
    expect([acct.deliverables.length, acct.deliverablesCount, acct.deliverablesHead]).toEqual([20, 20n, 0n])
    await expectRevert(
      asP1().addDeliverable(r.user1.address, all[20] as string, "0x01"),
      i,
      "CannotEvictUnsettledDeliverable",
      [all[0]],
    )

    await abandon(all[0] as string)
    await abandon(all[1] as string)
    const evict = await add(all[20] as string, 20)
    expect(events(evict, env.fineTuning, "DeliverableEvicted")[0]?.slice(0, 4)).toEqual([
      p1(),
      r.user1.address,
      all[0],
      all[20],
    ])
    let a = await env.fineTuning.getAccount(r.user1.address, p1())
    expect([a.deliverablesHead, a.deliverablesCount]).toEqual([1n, 20n])
    await expectRevert(env.fineTuning.getDeliverable(r.user1.address, p1(), all[0]), i, "DeliverableNotExists", [
      all[0],
    ])
    await ackD(all[20] as string)
    await add(all[21] as string, 21)
    a = await env.fineTuning.getAccount(r.user1.address, p1())
    expect(a.deliverablesHead).toBe(2n)
    expect(await ids()).toEqual(all.slice(2, 22))
    await expectRevert(env.fineTuning.getDeliverable(r.user1.address, p1(), all[1]), i, "DeliverableNotExists", [
      all[1],
    ])
  })
})
