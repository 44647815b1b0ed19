import { id, type Signer, TypedDataEncoder, verifyTypedData, type Wallet } from "ethers"
import { describe, expect, it } from "vitest"
import {
  E,
  eip712Vector,
  events,
  expectRevert,
  INFERENCE,
  LOCK_TIME,
  mined,
  useReferenceSuite,
} from "../src/testing/reference.js"

const VECTOR = eip712Vector("inferenceTEESettlement")
const S = {
  SUCCESS: 0n,
  PARTIAL: 1n,
  PROVIDER_MISMATCH: 2n,
  NO_TEE_SIGNER: 3n,
  INVALID_NONCE: 4n,
  INVALID_SIGNATURE: 5n,
}
const REQUESTS_HASH = id("test_requests_hash")

const { env, r } = useReferenceSuite({ inference: true })

interface Settlement {
  user: string
  provider: string
  totalFee: bigint
  requestsHash: string
  nonce: bigint
  signature: string
}
async function signed(
  user: string,
  totalFee: bigint,
  nonce: bigint,
  opts: { signer?: Signer; provider?: string } = {},
): Promise<Settlement> {
  const provider = opts.provider ?? r.provider1.address
  const message = { requestsHash: REQUESTS_HASH, nonce, provider, user, totalFee }
  const domain = { ...VECTOR.domain, verifyingContract: env.addrs.inference }
  const signature = await (opts.signer ?? r.signer).signTypedData(domain, VECTOR.types, message)
  return { ...message, signature }
}
const settle = (items: Settlement[], from: Wallet = r.provider1) =>
  mined(env.inference.as(from).settleFeesWithTEE(items))
const statuses = async (items: Settlement[], from: Wallet = r.provider1) =>
  [...(await env.inference.as(from).settleFeesWithTEE.staticCall(items))] as bigint[]
const account = (user: string) => env.inference.getAccount(user, r.provider1.address)
const results = (receipt: Awaited<ReturnType<typeof settle>>) => events(receipt, env.inference, "TEESettlementResult")

describe("inference TEE settlement (EIP-712)", () => {
  it("accepts the protocol-vectors settlement signed by account #1 on the devnet proxy", async () => {
    expect(TypedDataEncoder.hash(VECTOR.domain, VECTOR.types, VECTOR.message)).toBe(VECTOR.digest)
    expect(verifyTypedData(VECTOR.domain, VECTOR.types, VECTOR.message, VECTOR.signature)).toBe(r.signer.address)
    const m = VECTOR.message
    const item = {
      user: m.user as string,
      provider: m.provider as string,
      totalFee: 50n,
      requestsHash: m.requestsHash as string,
      nonce: 1n,
      signature: VECTOR.signature,
    }
    expect(item.provider).toBe(r.provider1.address)
    expect(await statuses([item])).toEqual([S.SUCCESS])
    const receipt = await settle([item])
    expect(results(receipt)).toEqual([[r.owner.address, S.SUCCESS, 0n]])
    const a = await account(r.owner.address)
    expect([a.nonce, a.balance]).toEqual([1n, E(1) - 50n])
  })

  it("success deducts the fee, sets the nonce, spends on the ledger and pays the provider", async () => {
    const fee = E("0.25")
    const providerBefore = await env.balanceOf(r.provider1.address)
    const receipt = await settle([await signed(r.user1.address, fee, 7n)])
    expect(events(receipt, env.ledger, "FundSpent")).toEqual([[r.user1.address, env.addrs.inference, fee]])
    expect(events(receipt, env.inference, "BalanceUpdated")).toEqual([
      [r.user1.address, r.provider1.address, E(2) - fee, 0n],
    ])
    expect(results(receipt)).toEqual([[r.user1.address, S.SUCCESS, 0n]])
    const a = await account(r.user1.address)
    expect([a.nonce, a.balance]).toEqual([7n, E(2) - fee])
    const l = await env.ledger.getLedger(r.user1.address)
    expect([l.availableBalance, l.totalBalance]).toEqual([E(8), E(10) - fee])
    expect(await env.balanceOf(r.provider1.address)).toBe(providerBefore + fee - receipt.gasUsed * receipt.gasPrice)
  })

  it("settles a batch of two users, and a fee above the balance as PARTIAL with the nonce consumed", async () => {
    const receipt = await settle([await signed(r.owner.address, E("0.1"), 1n), await signed(r.user1.address, E(3), 1n)])
    expect(results(receipt)).toEqual([
      [r.owner.address, S.SUCCESS, 0n],
      [r.user1.address, S.PARTIAL, E(1)],
    ])
    const u = await account(r.user1.address)
    expect([u.balance, u.nonce]).toEqual([0n, 1n])
    expect((await account(r.owner.address)).balance).toBe(E("0.9"))
  })

  it("staticCall previews statuses [1], [0] and [1,0]", async () => {
    expect(await statuses([await signed(r.owner.address, E(2), 1n)])).toEqual([S.PARTIAL])
    expect(await statuses([await signed(r.owner.address, 1n, 1n)])).toEqual([S.SUCCESS])
    expect(await statuses([await signed(r.owner.address, E(2), 1n), await signed(r.user1.address, 5n, 1n)])).toEqual([
      S.PARTIAL,
      S.SUCCESS,
    ])
  })

  it("maps every failure to a status without state change", async () => {
    await mined(env.ledger.as(r.user1).transferFund(r.provider2.address, INFERENCE, E(1))) // account, but provider2 has no service
    const zeroSig = { ...(await signed(r.owner.address, 5n, 1n)), signature: `0x${"00".repeat(65)}` }
    const shortSig = {
      ...(await signed(r.owner.address, 5n, 1n)),
      signature: (await signed(r.owner.address, 5n, 1n)).signature.slice(0, 130),
    }
    const items = [
      await signed(r.owner.address, 5n, 1n, { provider: r.provider2.address }), // provider != msg.sender
      await signed(r.user2.address, 5n, 1n), // no sub-account
      zeroSig,
      shortSig,
      await signed(r.owner.address, 5n, 1n, { signer: r.user2 }), // wrong signer
      await signed(r.owner.address, 5n, 0n), // nonce not above 0
    ]
    const receipt = await settle(items)
    expect(results(receipt).map((e) => e[1])).toEqual([
      S.PROVIDER_MISMATCH,
      S.INVALID_SIGNATURE,
      S.INVALID_SIGNATURE,
      S.INVALID_SIGNATURE,
      S.INVALID_SIGNATURE,
      S.INVALID_NONCE,
    ])
    expect(results(receipt).every((e) => e[2] === 5n)).toBe(true)
    expect(events(receipt, env.ledger, "FundSpent")).toEqual([])
    const a = await account(r.owner.address)
    expect([a.nonce, a.balance]).toEqual([0n, E(1)])
    // sub-account exists but the provider has no service: PROVIDER_MISMATCH
    expect(
      await statuses([await signed(r.user1.address, 5n, 1n, { provider: r.provider2.address })], r.provider2),
    ).toEqual([S.PROVIDER_MISMATCH])
  })

  it("a duplicate nonce is a no-op, in the same batch and later", async () => {
    const item = await signed(r.owner.address, 10n, 3n)
    const receipt = await settle([item, item])
    expect(results(receipt).map((e) => e[1])).toEqual([S.SUCCESS, S.INVALID_NONCE])
    expect(results(await settle([item])).map((e) => e[1])).toEqual([S.INVALID_NONCE])
    expect((await account(r.owner.address)).balance).toBe(E(1) - 10n)
  })

  it("needs both acknowledgements and a signer: owner revoke -> NO_TEE_SIGNER with unsettled = fee", async () => {
    await mined(env.inference.revokeTEESignerAcknowledgement(r.provider1.address))
    const receipt = await settle([await signed(r.owner.address, 10n, 1n)])
    expect(results(receipt)).toEqual([[r.owner.address, S.NO_TEE_SIGNER, 10n]])
    expect((await account(r.owner.address)).nonce).toBe(0n)
  })

  it("rejects empty and oversized batches", async () => {
    const i = env.inference.interface
    await expectRevert(env.inference.as(r.provider1).settleFeesWithTEE([]), i, "NoSettlementsProvided", [])
    const item = await signed(r.owner.address, 1n, 1n)
    await expectRevert(env.inference.as(r.provider1).settleFeesWithTEE(Array(51).fill(item)), i, "TooManySettlements", [
      51n,
      50n,
    ])
  })

  it("eats into pending refunds newest-first once the free balance is used", async () => {
    await mined(env.ledger.as(r.user1).retrieveFund([r.provider1.address], INFERENCE)) // refund #0: 2
    await mined(env.ledger.as(r.user1).transferFund(r.provider1.address, INFERENCE, E("0.5"))) // cancels 0.5
    await mined(env.ledger.as(r.user1).retrieveFund([r.provider1.address], INFERENCE)) // refund #1: 0.5
    await settle([await signed(r.user1.address, E("0.7"), 1n)])
    const a = await account(r.user1.address)
    expect([a.balance, a.pendingRefund, a.refunds[0].amount, a.refunds[1].amount]).toEqual([
      E("1.3"),
      E("1.3"),
      E("1.3"),
      0n,
    ])
    await env.increaseTime(LOCK_TIME + 1)
    await mined(env.ledger.as(r.user1).retrieveFund([r.provider1.address], INFERENCE))
    expect((await env.ledger.getLedger(r.user1.address)).availableBalance).toBe(E(8) + E("1.3"))
  })

  it("previewSettlementResults reports failures and partials without simulating state", async () => {
    const [failed, reasons, partial, amounts] = await env.inference
      .as(r.provider1)
      .previewSettlementResults([
        await signed(r.owner.address, E(3), 1n),
        await signed(r.user2.address, 1n, 1n),
        await signed(r.user1.address, 1n, 1n),
        await signed(r.user1.address, 1n, 0n),
      ])
    expect([[...failed], [...reasons], [...partial], [...amounts]]).toEqual([
      [r.user2.address, r.user1.address],
      [S.INVALID_SIGNATURE, S.INVALID_NONCE],
      [r.owner.address],
      [E(2)],
    ])
  })

  it("50 settlements in one transaction stay under 2M gas and 50k per item", async () => {
    await mined(env.ledger.as(r.user1).transferFund(r.provider1.address, INFERENCE, E(1)))
    const items = await Promise.all(Array.from({ length: 50 }, (_, i) => signed(r.user1.address, 1000n, BigInt(i + 1))))
    const receipt = await settle(items)
    expect(results(receipt).every((e) => e[1] === S.SUCCESS)).toBe(true)
    expect(receipt.gasUsed).toBeLessThan(2_000_000n)
    expect(receipt.gasUsed / 50n).toBeLessThan(50_000n)
    expect((await account(r.user1.address)).nonce).toBe(50n)
  })

  it("keeps nonce and generation across delete + re-create, so old settlements cannot be replayed", async () => {
    const old = await signed(r.user1.address, 10n, 5n)
    await settle([old])
    await mined(env.inference.as(r.user1).revokeAllTokens(r.provider1.address))
    const u = env.ledger.as(r.user1)
    await mined(u.retrieveFund([r.provider1.address], INFERENCE))
    await env.increaseTime(LOCK_TIME + 1)
    await mined(u.retrieveFund([r.provider1.address], INFERENCE))
    const available = (await env.ledger.getLedger(r.user1.address)).availableBalance
    await mined(u.refund(available))
    expect(await env.inference.accountExists(r.user1.address, r.provider1.address)).toBe(false)

    await mined(u.addLedger("", { value: E(3) }))
    await mined(u.transferFund(r.provider1.address, INFERENCE, E(1)))
    const a = await account(r.user1.address)
    expect([a.nonce, a.generation, a.balance, a.refunds.length, a.revokedBitmap]).toEqual([5n, 1n, E(1), 0, 0n])
    expect(results(await settle([old])).map((e) => e[1])).toEqual([S.INVALID_NONCE])
  })

  it("deleteLedger works once providers spent everything (total 0)", async () => {
    const u2 = env.ledger.as(r.user2)
    await mined(u2.addLedger("", { value: E(3) }))
    await mined(u2.transferFund(r.provider1.address, INFERENCE, E(3)))
    await settle([await signed(r.user2.address, E(3), 1n)])
    const l = await env.ledger.getLedger(r.user2.address)
    expect([l.availableBalance, l.totalBalance]).toEqual([0n, 0n])
    const receipt = await mined(u2.deleteLedger())
    expect(events(receipt, env.inference, "AccountDeleted")).toEqual([[r.user2.address, r.provider1.address, 0n]])
    await expectRevert(env.ledger.getLedger(r.user2.address), env.ledger.interface, "LedgerNotExists", [
      r.user2.address,
    ])
  })
})
