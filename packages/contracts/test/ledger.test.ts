import { type Wallet, ZeroAddress } from "ethers"
import { describe, expect, it } from "vitest"
import {
  compileFixture,
  deployed,
  E,
  events,
  expectRevert,
  expectStringRevert,
  INFERENCE,
  mined,
  useReferenceSuite,
} from "../src/testing/reference.js"

const { env, r } = useReferenceSuite({ inference: true })

const fresh = (): Wallet => env.w[8] as Wallet
const ledgerOf = async (addr: string) => env.ledger.getLedger(addr)

describe("LedgerManager ledgers", () => {
  it("exposes the mainnet constants", async () => {
    expect(await env.ledger.MIN_ACCOUNT_BALANCE()).toBe(E(3))
    expect(await env.ledger.MIN_TRANSFER_AMOUNT()).toBe(E(1))
    expect(await env.ledger.MAX_PROVIDERS_PER_BATCH()).toBe(20n)
    expect(await env.ledger.MAX_PROVIDERS_PER_USER_PER_SERVICE()).toBe(50n)
    expect(await env.ledger.MAX_SERVICES()).toBe(500n)
    expect(await env.ledger.MAX_ADDITIONAL_INFO_LENGTH()).toBe(4096n)
  })

  it("getAllLedgers(0,0) returns both ledgers with balances and empty info", async () => {
    const [ledgers, total] = await env.ledger.getAllLedgers(0, 0)
    expect(total).toBe(2n)
    expect(ledgers.map((l: unknown[]) => [...l])).toEqual([
      [r.owner.address, E(4), E(5), ""],
      [r.user1.address, E(8), E(10), ""],
    ])
    const [page, t2] = await env.ledger.getAllLedgers(1, 1)
    expect(t2).toBe(2n)
    expect(page.map((l: { user: string }) => l.user)).toEqual([r.user1.address])
    const [past, t3] = await env.ledger.getAllLedgers(10, 0)
    expect(past.length).toBe(0)
    expect(t3).toBe(2n)
  })

  it("addLedger: returns (value, 0) and enforces minimum, info length, uniqueness in that order", async () => {
    const u = env.ledger.as(fresh())
    expect([...(await u.addLedger.staticCall("x", { value: E(3) }))]).toEqual([E(3), 0n])
    await expectRevert(u.addLedger("x".repeat(5000), { value: E(2) }), u.interface, "MinimumDepositRequired", [
      E(2),
      E(3),
    ])
    await expectRevert(u.addLedger("x".repeat(4097), { value: E(3) }), u.interface, "AdditionalInfoTooLong", [
      4097n,
      4096n,
    ])
    await mined(u.addLedger("x".repeat(4096), { value: E(3) }))
    expect((await ledgerOf(fresh().address)).additionalInfo.length).toBe(4096)
    await expectRevert(u.addLedger("", { value: E(3) }), u.interface, "LedgerExists", [fresh().address])
    await expectRevert(env.ledger.getLedger(env.w[9]?.address), u.interface, "LedgerNotExists", [env.w[9]?.address])
  })

  it("depositFund accumulates, creates a missing ledger at >= minimum, rejects zero", async () => {
    await mined(env.ledger.as(r.user1).depositFund({ value: E(1) }))
    await mined(env.ledger.as(r.user1).depositFund({ value: E("0.5") }))
    expect([...(await ledgerOf(r.user1.address))]).toEqual([r.user1.address, E("9.5"), E("11.5"), ""])
    const u = env.ledger.as(fresh())
    await expectRevert(u.depositFund({ value: 0n }), u.interface, "ZeroAmountNotAllowed", [])
    await expectRevert(u.depositFund({ value: E("2.9") }), u.interface, "MinimumDepositRequired", [E("2.9"), E(3)])
    await mined(u.depositFund({ value: E(3) }))
    expect([...(await ledgerOf(fresh().address))]).toEqual([fresh().address, E(3), E(3), ""])
  })

  it("depositFundFor checks the recipient first, then the amount, and credits the recipient", async () => {
    const payer = env.ledger.as(r.user1)
    await expectRevert(payer.depositFundFor(ZeroAddress, { value: 0n }), payer.interface, "ZeroAddressNotAllowed", [])
    await expectRevert(
      payer.depositFundFor(fresh().address, { value: 0n }),
      payer.interface,
      "ZeroAmountNotAllowed",
      [],
    )
    await expectRevert(
      payer.depositFundFor(fresh().address, { value: E(1) }),
      payer.interface,
      "MinimumDepositRequired",
      [E(1), E(3)],
    )
    await mined(payer.depositFundFor(fresh().address, { value: E(4) }))
    await mined(payer.depositFundFor(r.owner.address, { value: E(1) }))
    expect((await ledgerOf(fresh().address)).totalBalance).toBe(E(4))
    expect((await ledgerOf(r.owner.address)).availableBalance).toBe(E(5))
    expect((await ledgerOf(r.user1.address)).totalBalance).toBe(E(10))
  })

  it("updateAdditionalInfo emits LedgerInfoUpdated and validates", async () => {
    const receipt = await mined(env.ledger.as(r.user1).updateAdditionalInfo("hello"))
    expect(events(receipt, env.ledger, "LedgerInfoUpdated")).toEqual([[r.user1.address, "hello"]])
    expect((await ledgerOf(r.user1.address)).additionalInfo).toBe("hello")
    const u = env.ledger.as(fresh())
    await expectRevert(u.updateAdditionalInfo("y".repeat(4097)), u.interface, "AdditionalInfoTooLong", [4097n, 4096n])
    await expectRevert(u.updateAdditionalInfo("y"), u.interface, "LedgerNotExists", [fresh().address])
  })

  it("refund: more than available reverts, a remainder below the minimum reverts, exactly available succeeds", async () => {
    const u = env.ledger.as(r.user1)
    await expectRevert(u.refund(E(9)), u.interface, "InsufficientBalance", [r.user1.address])
    await expectRevert(u.refund(E(6)), u.interface, "MinimumDepositRequired", [E(2), E(3)])
    const before = await env.balanceOf(r.user1.address)
    const receipt = await mined(u.refund(E(8)))
    const gas = receipt.gasUsed * receipt.gasPrice
    expect(await env.balanceOf(r.user1.address)).toBe(before + E(8) - gas)
    // total stays: the rest sits in the inference sub-account
    expect([...(await ledgerOf(r.user1.address))]).toEqual([r.user1.address, 0n, E(2), ""])
    await expectRevert(env.ledger.as(fresh()).refund(1n), u.interface, "LedgerNotExists", [fresh().address])
  })

  it("deleteLedger requires a zero total", async () => {
    const u = env.ledger.as(r.user1)
    await expectRevert(u.deleteLedger(), u.interface, "MustWithdrawAllFundsFirst", [E(10)])
    await expectRevert(env.ledger.as(fresh()).deleteLedger(), u.interface, "LedgerNotExists", [fresh().address])
  })

  it("spendFund is reserved to registered services; receive() rejects EOAs", async () => {
    const u = env.ledger.as(r.user1)
    await expectRevert(u.spendFund(r.user1.address, 1n), u.interface, "CallerNotRegisteredService", [r.user1.address])
    const send = (to: string) => r.user1.sendTransaction({ to, value: 1n })
    await expectRevert(send(env.addrs.ledger), u.interface, "DirectDepositsDisabled", [])
    await expectRevert(send(env.addrs.inference), env.inference.interface, "DirectDepositsDisabled", [])
    await expectRevert(send(env.addrs.fineTuning), env.fineTuning.interface, "DirectDepositsDisabled", [])
  })

  it("getLedgerProviders lists providers per service name", async () => {
    expect(await env.ledger.getLedgerProviders(r.user1.address, INFERENCE)).toEqual([r.provider1.address])
    expect(await env.ledger.getLedgerProviders(r.user1.address, "fine-tuning-v1.0")).toEqual([])
    await expectRevert(
      env.ledger.getLedgerProviders(r.user1.address, "nope"),
      env.ledger.interface,
      "ServiceNotFound",
      [ZeroAddress],
    )
  })
})

describe("LedgerManager service registry", () => {
  const newServiceImpl = async (): Promise<string> => {
    return (await deployed("InferenceServing", r.owner)).getAddress()
  }

  it("registers, recommends and lists versions", async () => {
    const v2 = await newServiceImpl() // an uninitialized implementation is enough: only ERC-165 is checked
    const receipt = await mined(env.ledger.registerService("inference", "v2.0", v2, "second"))
    expect(events(receipt, env.ledger, "ServiceRegistered")).toEqual([[v2, "inference-v2.0"]])
    const info = await env.ledger.getServiceInfo(v2)
    expect([...info].slice(0, 7)).toEqual([v2, v2, "inference", "v2.0", "inference-v2.0", "second", false])
    expect(info.registeredAt).toBe(BigInt(await env.now()))
    expect(await env.ledger.getServiceAddressByName("inference-v2.0")).toBe(v2)
    expect(await env.ledger.getServiceAddressByName("inference-v9")).toBe(ZeroAddress)
    const all = await env.ledger.getAllActiveServices()
    expect(all.map((s: { fullName: string }) => s.fullName)).toEqual([
      "inference-v1.0",
      "fine-tuning-v1.0",
      "inference-v2.0",
    ])

    const rec = await mined(env.ledger.setRecommendedService("inference", "v2.0"))
    expect(events(rec, env.ledger, "RecommendedServiceUpdated")).toEqual([["inference", "v2.0", v2]])
    expect(await env.ledger.getRecommendedService("inference")).toEqual(["v2.0", v2])
    expect(await env.ledger.isRecommendedVersion("inference", "v2.0")).toBe(true)
    expect(await env.ledger.isRecommendedVersion("inference", "v1.0")).toBe(false)
    expect((await env.ledger.getServiceInfo(env.addrs.inference)).isRecommended).toBe(false)
    const [versions, addresses, flags] = await env.ledger.getAllVersions("inference")
    expect([[...versions], [...addresses], [...flags]]).toEqual([
      ["v1.0", "v2.0"],
      [env.addrs.inference, v2],
      [false, true],
    ])
  })

  it("returns a zeroed ServiceInfo for unknown addresses", async () => {
    const info = await env.ledger.getServiceInfo(r.user2.address)
    expect([...info]).toEqual([ZeroAddress, ZeroAddress, "", "", "", "", false, 0n])
  })

  it("reverts registry misuse with the documented errors", async () => {
    const i = env.ledger.interface
    const v2 = await newServiceImpl()
    await expectRevert(env.ledger.registerService("inference", "v2", ZeroAddress, ""), i, "InvalidServiceAddress", [
      ZeroAddress,
    ])
    await expectRevert(env.ledger.registerService("", "v2", v2, ""), i, "ServiceTypeRequired", [])
    await expectRevert(env.ledger.registerService("inference", "", v2, ""), i, "VersionRequired", [])
    await expectRevert(env.ledger.registerService("x", "y", env.addrs.inference, ""), i, "ServiceAlreadyRegistered", [
      env.addrs.inference,
    ])
    await expectRevert(env.ledger.registerService("inference", "v1.0", v2, ""), i, "ServiceNameExists", [
      "inference-v1.0",
    ])
    await expectRevert(env.ledger.registerService("x", "y", r.user2.address, ""), i, "ServiceMustImplementIServing", [
      r.user2.address,
    ])
    await expectRevert(env.ledger.registerService("x", "y", env.addrs.ledger, ""), i, "ServiceMustImplementIServing", [
      env.addrs.ledger,
    ])
    await expectRevert(env.ledger.setRecommendedService("inference", "v7"), i, "ServiceNotFound", [ZeroAddress])
    await expectRevert(env.ledger.getRecommendedService("foo"), i, "NoRecommendedService", ["foo"])
    const stranger = env.ledger.as(r.user1)
    await expectStringRevert(stranger.registerService("x", "y", v2, ""), i, "Ownable: caller is not the owner")
    await expectStringRevert(stranger.setRecommendedService("inference", "v1.0"), i, "Ownable: caller is not the owner")
    await expectStringRevert(env.ledger.transferOwnership(ZeroAddress), i, "Ownable: new owner is the zero address")
  })

  it("masks service failures as CallFailed and rejects unknown names", async () => {
    const u = env.ledger.as(r.user1)
    // user == provider makes the service revert ProviderCannotBeUser, which the ledger swallows
    await expectRevert(u.transferFund(r.user1.address, INFERENCE, E(1)), u.interface, "CallFailed", [])
    await expectRevert(u.transferFund(r.provider2.address, "inference-v9", E(1)), u.interface, "ServiceNotFound", [
      ZeroAddress,
    ])
    await expectRevert(u.retrieveFund([r.provider1.address], "inference-v9"), u.interface, "ServiceNotFound", [
      ZeroAddress,
    ])
  })

  it("re-entry: LedgerLocked on the user's ledger, OZ string on nonReentrant functions", async () => {
    const probe = await deployed(compileFixture("ReentrantProbe.sol", "ReentrantProbe"), r.owner, [env.addrs.ledger])
    const probeAddr = await probe.getAddress()
    await mined(env.ledger.registerService("probe", "v1", probeAddr, "reentrancy probe"))
    // transferFund holds user1's lock while calling the "service", which calls spendFund(user1)
    await mined(env.ledger.as(r.user1).transferFund(r.provider2.address, "probe-v1", E(1)))
    const locked = env.ledger.interface.parseError(await probe.getFunction("lastRevert")())
    expect(locked?.name).toBe("LedgerLocked")
    expect((await ledgerOf(r.user1.address)).availableBalance).toBe(E(7))

    // as a provider, the probe re-enters removeService from the stake payout
    const data = env.inference.interface.encodeFunctionData("addOrUpdateService", [
      {
        serviceType: "t",
        url: "u",
        model: "m",
        verifiability: "",
        inputPrice: 1n,
        outputPrice: 1n,
        additionalInfo: "",
        teeSignerAddress: ZeroAddress,
      },
    ])
    await mined(probe.getFunction("forward")(env.addrs.inference, data, { value: E(100) }))
    await mined(probe.getFunction("removeAndReenter")(env.addrs.inference))
    const reentrant = env.inference.interface.parseError(await probe.getFunction("lastRevert")())
    expect(reentrant?.name).toBe("Error")
    expect(reentrant?.args[0]).toBe("ReentrancyGuard: reentrant call")
    // stake returned once (plus the 1 0G the ledger sent it as a "service")
    expect(await env.balanceOf(probeAddr)).toBe(E(101))
  })
})
