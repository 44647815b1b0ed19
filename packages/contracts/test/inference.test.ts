import { ZeroAddress } from "ethers"
import { describe, expect, it } from "vitest"
import {
  E,
  events,
  expectRevert,
  expectStringRevert,
  freshProxy,
  INFERENCE,
  inferenceParams,
  LOCK_TIME,
  mined,
  useReferenceSuite,
} from "../src/testing/reference.js"

const { env, r } = useReferenceSuite({ inference: true })

const OWNABLE = "Ownable: caller is not the owner"
const p1 = () => r.provider1.address
const asP1 = () => env.inference.as(r.provider1)
const ack = async () => (await env.inference.getService(p1())).teeSignerAcknowledged as boolean

describe("InferenceServing owner functions", () => {
  it("updateLockTime validates the range and always emits", async () => {
    const i = env.inference.interface
    expect(events(await mined(env.inference.updateLockTime(7200)), env.inference, "LockTimeUpdated")).toEqual([
      [86_400n, 7200n],
    ])
    expect(events(await mined(env.inference.updateLockTime(7200)), env.inference, "LockTimeUpdated")).toEqual([
      [7200n, 7200n],
    ])
    expect(await env.inference.lockTime()).toBe(7200n)
    await expectRevert(env.inference.updateLockTime(3599), i, "LockTimeOutOfRange", [3599n, 3600n, 604_800n])
    await expectRevert(env.inference.updateLockTime(604_801), i, "LockTimeOutOfRange", [604_801n, 3600n, 604_800n])
    await expectStringRevert(env.inference.as(r.user1).updateLockTime(7200), i, OWNABLE)
  })

  it("owner acknowledgement of the TEE signer: emits true/false, keeps the address, owner only", async () => {
    const i = env.inference.interface
    const revoke = await mined(env.inference.revokeTEESignerAcknowledgement(p1()))
    expect(events(revoke, env.inference, "ProviderTEESignerAcknowledged")).toEqual([[p1(), r.signer.address, false]])
    expect((await env.inference.getService(p1())).teeSignerAddress).toBe(r.signer.address)
    expect(await ack()).toBe(false)
    const ok = await mined(env.inference.acknowledgeTEESignerByOwner(p1()))
    expect(events(ok, env.inference, "ProviderTEESignerAcknowledged")).toEqual([[p1(), r.signer.address, true]])
    expect(await ack()).toBe(true)
    await expectStringRevert(env.inference.as(r.user1).acknowledgeTEESignerByOwner(p1()), i, OWNABLE)
    await expectStringRevert(env.inference.as(r.user1).revokeTEESignerAcknowledgement(p1()), i, OWNABLE)
    await expectRevert(env.inference.acknowledgeTEESignerByOwner(r.user2.address), i, "ServiceNotExist", [
      r.user2.address,
    ])
  })

  it("a fresh proxy rejects an out-of-range lockTime at initialize", async () => {
    const fresh = await freshProxy(env.addrs.beacons.inference, env.inference.interface, r.owner)
    await expectRevert(
      fresh.getFunction("initialize")(100, ZeroAddress, r.owner.address),
      env.inference.interface,
      "LockTimeOutOfRange",
      [100n, 3600n, 604_800n],
    )
    expect(await fresh.getFunction("initialized")()).toBe(false)
  })
})

describe("InferenceServing accounts", () => {
  it("lists accounts: all, by provider (offset/limit), by user, batch for the calling provider", async () => {
    const [all, total] = await env.inference.getAllAccounts(0, 0)
    expect(total).toBe(2n)
    expect(all.map((a: { user: string }) => a.user)).toEqual([r.owner.address, r.user1.address])
    const a0 = all[0]
    expect([a0.provider, a0.nonce, a0.balance, a0.pendingRefund, a0.acknowledged, a0.generation]).toEqual([
      p1(),
      0n,
      E(1),
      0n,
      true,
      0n,
    ])
    const [page, t] = await env.inference.getAccountsByProvider(p1(), 1, 1)
    expect([page.length, page[0].user, t]).toEqual([1, r.user1.address, 2n])
    const [mine, tu] = await env.inference.getAccountsByUser(r.user1.address, 0, 0)
    expect([mine.length, mine[0].balance, tu]).toEqual([1, E(2), 1n])
    const batch = await asP1().getBatchAccountsByUsers([r.user1.address, r.user2.address])
    expect(batch[0].balance).toBe(E(2))
    expect([batch[1].user, batch[1].provider, batch[1].balance]).toEqual([ZeroAddress, ZeroAddress, 0n])
    const i = env.inference.interface
    await expectRevert(env.inference.getAllAccounts(0, 51), i, "LimitTooLarge", [51n, 50n])
    await expectRevert(env.inference.getAccountsByUser(r.user1.address, 0, 51), i, "LimitTooLarge", [51n, 50n])
    const users = Array.from({ length: 501 }, () => r.user2.address)
    await expectRevert(asP1().getBatchAccountsByUsers(users), i, "BatchSizeTooLarge", [501n, 500n])
    await expectRevert(env.inference.getAccount(r.user2.address, p1()), i, "AccountNotExists", [r.user2.address, p1()])
    await expectRevert(env.inference.getPendingRefund(r.user2.address, p1()), i, "AccountNotExists", [
      r.user2.address,
      p1(),
    ])
  })

  it("refund slots: 1 live after retrieve, 0 after processing; a 0.3 top-up reuses the slot; transfers cancel min(0.3, pending)", async () => {
    const u = env.ledger.as(r.user1)
    const acct = () => env.inference.getAccount(r.user1.address, p1())
    await mined(u.retrieveFund([p1()], INFERENCE))
    expect((await acct()).validRefundsLength).toBe(1n)
    await env.increaseTime(LOCK_TIME + 1)
    await mined(u.retrieveFund([p1()], INFERENCE))
    let a = await acct()
    expect([a.validRefundsLength, a.balance, a.refunds.length]).toEqual([0n, 0n, 1])

    await mined(u.transferFund(p1(), INFERENCE, E("0.3")))
    await mined(u.retrieveFund([p1()], INFERENCE))
    a = await acct()
    expect([a.refunds.length, a.validRefundsLength, a.refunds[0].amount, a.pendingRefund]).toEqual([
      1,
      1n,
      E("0.3"),
      E("0.3"),
    ])

    await mined(u.transferFund(p1(), INFERENCE, E("0.2")))
    a = await acct()
    expect([a.balance, a.pendingRefund, a.refunds[0].amount]).toEqual([E("0.3"), E("0.1"), E("0.1")])
  })

  it("only the ledger may call the IServing entry points", async () => {
    const i = env.inference.interface
    const asUser = env.inference.as(r.user1)
    await expectRevert(asUser.addAccount(r.user1.address, p1(), "", { value: 1n }), i, "CallerNotLedger", [
      r.user1.address,
    ])
    await expectRevert(asUser.depositFund(r.user1.address, p1(), 0), i, "CallerNotLedger", [r.user1.address])
    await expectRevert(asUser.processRefund(r.user1.address, p1()), i, "CallerNotLedger", [r.user1.address])
    await expectRevert(asUser.deleteAccount(r.user1.address, p1()), i, "CallerNotLedger", [r.user1.address])
  })

  it("user acknowledgement: revoking needs a zero balance; transfers re-acknowledge", async () => {
    const i = env.inference.interface
    const u = env.inference.as(r.user1)
    await expectRevert(u.acknowledgeTEESigner(p1(), false), i, "CannotRevokeWithNonZeroBalance", [
      r.user1.address,
      p1(),
      E(2),
    ])
    await expectRevert(u.acknowledgeTEESigner(r.provider2.address, true), i, "AccountNotExists", [
      r.user1.address,
      r.provider2.address,
    ])
    await mined(env.ledger.as(r.user1).retrieveFund([p1()], INFERENCE))
    await env.increaseTime(LOCK_TIME + 1)
    await mined(env.ledger.as(r.user1).retrieveFund([p1()], INFERENCE))
    const receipt = await mined(u.acknowledgeTEESigner(p1(), false))
    expect(receipt.logs.length).toBe(0)
    expect((await env.inference.getAccount(r.user1.address, p1())).acknowledged).toBe(false)
    await mined(env.ledger.as(r.user1).transferFund(p1(), INFERENCE, E("0.1")))
    expect((await env.inference.getAccount(r.user1.address, p1())).acknowledged).toBe(true)
  })

  it("token revocation: single, several, all (generation++)", async () => {
    const u = env.inference.as(r.user1)
    const one = await mined(u.revokeToken(p1(), 3))
    expect(events(one, env.inference, "TokenRevoked")).toEqual([[r.user1.address, p1(), 3n]])
    const several = await mined(u.revokeTokens(p1(), [1, 255]))
    expect(events(several, env.inference, "TokensRevoked")).toEqual([[r.user1.address, p1(), [1n, 255n]]])
    for (const [id, revoked] of [
      [1, true],
      [2, false],
      [3, true],
      [255, true],
    ] as const) {
      expect(await env.inference.isTokenRevoked(r.user1.address, p1(), id)).toBe(revoked)
    }
    expect((await env.inference.getAccount(r.user1.address, p1())).revokedBitmap).toBe((1n << 255n) | 0b1010n)
    const all = await mined(u.revokeAllTokens(p1()))
    expect(events(all, env.inference, "AllTokensRevoked")).toEqual([[r.user1.address, p1(), 1n]])
    const a = await env.inference.getAccount(r.user1.address, p1())
    expect([a.generation, a.revokedBitmap]).toEqual([1n, 0n])
    expect(await env.inference.isTokenRevoked(r.user1.address, p1(), 3)).toBe(false)
    await expectRevert(u.revokeToken(r.provider2.address, 1), env.inference.interface, "AccountNotExists", [
      r.user1.address,
      r.provider2.address,
    ])
  })
})

describe("InferenceServing services", () => {
  it("getService / getAllServices / serviceExists", async () => {
    const s = await env.inference.getService(p1())
    expect([...s]).toEqual([
      p1(),
      "chatbot",
      "https://provider.example",
      1n,
      2n,
      s.updatedAt,
      "llama-3",
      "TeeML",
      "{}",
      r.signer.address,
      true,
    ])
    expect(s.updatedAt).toBeGreaterThan(0n)
    const [services, total] = await env.inference.getAllServices(0, 0)
    expect([services.length, total, services[0].provider]).toEqual([1, 1n, p1()])
    expect(await env.inference.serviceExists(p1())).toBe(true)
    expect(await env.inference.serviceExists(r.provider2.address)).toBe(false)
    await expectRevert(env.inference.getService(r.provider2.address), env.inference.interface, "ServiceNotExist", [
      r.provider2.address,
    ])
    await expectRevert(env.inference.getAllServices(0, 51), env.inference.interface, "LimitTooLarge", [51n, 50n])
  })

  it("stake rules: first registration needs 100 0G, updates must not send value", async () => {
    const i = env.inference.interface
    const p2 = env.inference.as(r.provider2)
    await expectRevert(
      p2.addOrUpdateService(inferenceParams(r.signer.address), { value: E(99) }),
      i,
      "InsufficientStake",
      [E(99), E(100)],
    )
    const first = await mined(p2.addOrUpdateService(inferenceParams(r.signer.address), { value: E(150) }))
    expect(events(first, env.inference, "ProviderStaked")).toEqual([[r.provider2.address, E(150)]])
    expect((await env.inference.getService(r.provider2.address)).teeSignerAcknowledged).toBe(false)
    await expectRevert(
      p2.addOrUpdateService(inferenceParams(r.signer.address), { value: 1n }),
      i,
      "CannotAddStakeWhenUpdating",
      [],
    )
    const tooLong = inferenceParams(r.signer.address, { additionalInfo: "x".repeat(4097) })
    await expectRevert(p2.addOrUpdateService(tooLong), i, "AdditionalInfoTooLong", [])
  })

  it("update emits ServiceUpdated with all args; url and price changes keep the owner ack", async () => {
    const receipt = await mined(
      asP1().addOrUpdateService(
        inferenceParams(r.signer.address, { url: "https://new", inputPrice: 7n, outputPrice: 9n }),
      ),
    )
    const ts = BigInt(await env.now())
    expect(events(receipt, env.inference, "ServiceUpdated")).toEqual([
      [p1(), "chatbot", "https://new", 7n, 9n, ts, "llama-3", "TeeML"],
    ])
    expect(events(receipt, env.inference, "ProviderStaked")).toEqual([])
    expect(await ack()).toBe(true)
    expect((await env.inference.getService(p1())).updatedAt).toBe(ts)
  })

  for (const [field, value] of [
    ["model", "other-model"],
    ["serviceType", "text-to-image"],
    ["verifiability", "none"],
    ["additionalInfo", '{"x":1}'],
    ["teeSignerAddress", "0x90F79bf6EB2c4f870365E785982E1f101E93b906"],
  ] as const) {
    it(`changing ${field} resets the owner ack; re-ack works`, async () => {
      await mined(asP1().addOrUpdateService(inferenceParams(r.signer.address, { [field]: value })))
      expect(await ack()).toBe(false)
      await mined(env.inference.acknowledgeTEESignerByOwner(p1()))
      expect(await ack()).toBe(true)
    })
  }

  it("removeService returns the stake and emits ProviderStakeReturned then ServiceRemoved", async () => {
    const before = await env.balanceOf(p1())
    const receipt = await mined(asP1().removeService())
    expect(await env.balanceOf(p1())).toBe(before + E(100) - receipt.gasUsed * receipt.gasPrice)
    const names = receipt.logs.map((l) => env.inference.interface.parseLog(l)?.name)
    expect(names).toEqual(["ProviderStakeReturned", "ServiceRemoved"])
    expect(events(receipt, env.inference, "ServiceRemoved")).toEqual([[p1()]])
    expect(await env.inference.serviceExists(p1())).toBe(false)
    await expectRevert(asP1().removeService(), env.inference.interface, "ServiceNotExist", [p1()])
    // re-registering needs a fresh stake
    await expectRevert(
      asP1().addOrUpdateService(inferenceParams(r.signer.address)),
      env.inference.interface,
      "InsufficientStake",
      [0n, E(100)],
    )
  })
})
