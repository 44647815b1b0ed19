import { hexlify, randomBytes, type Signer, TypedDataEncoder } from "ethers"
import { describe, expect, it } from "vitest"
import {
  E,
  eip712Vector,
  events,
  expectRevert,
  FINE_TUNING,
  LOCK_TIME,
  mined,
  useReferenceSuite,
} from "../src/testing/reference.js"

const VECTOR = eip712Vector("fineTuningVerifierMessage")
const ROOT = "0xabcd"
const SECRET = "0x1234"

const { env, r } = useReferenceSuite({ fineTuning: true })

interface Input {
  id: string
  encryptedSecret: string
  modelRootHash: string
  nonce: bigint
  signature: string
  taskFee: bigint
  user: string
}
async function input(
  fields: Partial<Omit<Input, "signature">> & { id: string },
  signer: Signer = r.signer,
): Promise<Input> {
  const msg = {
    encryptedSecret: SECRET,
    modelRootHash: ROOT,
    nonce: 1n,
    taskFee: 10n,
    user: r.user1.address,
    ...fields,
  }
  const domain = { ...VECTOR.domain, verifyingContract: env.addrs.fineTuning }
  return { ...msg, signature: await signer.signTypedData(domain, VECTOR.types, msg) }
}
const p1 = () => r.provider1.address
const asP1 = () => env.fineTuning.as(r.provider1)
const deliver = async (id: string, acknowledge: boolean, user = r.user1) => {
  await mined(asP1().addDeliverable(user.address, id, ROOT))
  if (acknowledge) await mined(env.fineTuning.as(user).acknowledgeDeliverable(p1(), id))
}
const settle = (v: Input) => mined(asP1().settleFees(v))
const invalid = (v: Input, reason: string) =>
  expectRevert(asP1().settleFees(v), env.fineTuning.interface, "InvalidVerifierInput", [reason])
const taskId = () => hexlify(randomBytes(32))

describe("fine-tuning settlement", () => {
  it("accepts the protocol-vectors VerifierMessage signed by account #1 on the devnet proxy", async () => {
    expect(TypedDataEncoder.hash(VECTOR.domain, VECTOR.types, VECTOR.message)).toBe(VECTOR.digest)
    expect(VECTOR.message.user).toBe(r.owner.address)
    await deliver(VECTOR.message.id as string, true, r.owner)
    const m = VECTOR.message
    const v = {
      id: m.id,
      encryptedSecret: m.encryptedSecret,
      modelRootHash: m.modelRootHash,
      nonce: 1n,
      signature: VECTOR.signature,
      taskFee: 10n,
      user: m.user,
    }
    const receipt = await settle(v as Input)
    expect(events(receipt, env.fineTuning, "BalanceUpdated")).toEqual([[r.owner.address, p1(), E(1) - 10n, 0n]])
    expect((await env.fineTuning.getDeliverable(r.owner.address, p1(), "task-0001")).encryptedSecret).toBe("0x1234")
  })

  it("acknowledged: pays taskFee, releases the secret; replay and over-balance fail", async () => {
    const id = taskId()
    await deliver(id, true)
    const before = await env.balanceOf(p1())
    const v = await input({ id })
    const receipt = await settle(v)
    expect(events(receipt, env.fineTuning, "FeesSettled")).toEqual([[r.user1.address, p1(), id, 10n, true, 1n]])
    expect(events(receipt, env.fineTuning, "BalanceUpdated")).toEqual([[r.user1.address, p1(), E(2) - 10n, 0n]])
    expect(events(receipt, env.ledger, "FundSpent")).toEqual([[r.user1.address, env.addrs.fineTuning, 10n]])
    expect(await env.balanceOf(p1())).toBe(before + 10n - receipt.gasUsed * receipt.gasPrice)
    const d = await env.fineTuning.getDeliverable(r.user1.address, p1(), id)
    expect([d.encryptedSecret, d.acknowledged, d.settled]).toEqual([SECRET, true, true])
    expect((await env.fineTuning.getAccount(r.user1.address, p1())).nonce).toBe(1n)
    await invalid(v, "nonce should larger than the current nonce")
    await expectRevert(
      asP1().settleFees(await input({ id, nonce: 2n })),
      env.fineTuning.interface,
      "DeliverableAlreadySettled",
      [id],
    )
    const big = taskId()
    await deliver(big, true)
    await invalid(await input({ id: big, nonce: 2n, taskFee: E(3) }), "insufficient balance")
    await expectRevert(
      asP1().settleFees(await input({ id: big, nonce: 2n, encryptedSecret: "0x" })),
      env.fineTuning.interface,
      "SecretShouldNotBeEmpty",
      [],
    )
  })

  it("not acknowledged: charges the 30 % penalty, keeps the secret, and locks the pair", async () => {
    const id = taskId()
    await deliver(id, false)
    const i = env.fineTuning.interface
    await expectRevert(asP1().settleFees(await input({ id })), i, "SecretShouldBeEmpty", [])
    const receipt = await settle(await input({ id, encryptedSecret: "0x" }))
    expect(events(receipt, env.fineTuning, "BalanceUpdated")).toEqual([[r.user1.address, p1(), E(2) - 3n, 0n]])
    expect(events(receipt, env.fineTuning, "FeesSettled")).toEqual([[r.user1.address, p1(), id, 3n, false, 1n]])
    const d = await env.fineTuning.getDeliverable(r.user1.address, p1(), id)
    expect([d.encryptedSecret, d.acknowledged, d.settled]).toEqual(["0x", false, true])
    await expectRevert(
      env.fineTuning.as(r.user1).acknowledgeDeliverable(p1(), id),
      i,
      "CannotAcknowledgeSettledDeliverable",
      [id],
    )
    await expectRevert(asP1().abandonDeliverable(r.user1.address, id), i, "CannotAbandonSettledDeliverable", [id])
    await expectRevert(asP1().addDeliverable(r.user1.address, "next", ROOT), i, "PreviousDeliverableNotAcknowledged", [
      id,
    ])
  })

  it("needs balance >= the full taskFee even when only the penalty is charged", async () => {
    const id = taskId()
    await deliver(id, false)
    await invalid(await input({ id, encryptedSecret: "0x", taskFee: E(2) + 1n }), "insufficient balance")
    await settle(await input({ id, encryptedSecret: "0x", taskFee: E(2) }))
    expect((await env.fineTuning.getAccount(r.user1.address, p1())).balance).toBe(E(2) - (E(2) * 30n) / 100n)
  })

  it("reverts in the documented check order with the exact reasons", async () => {
    const i = env.fineTuning.interface
    const id = taskId()
    await deliver(id, true)
    await expectRevert(env.fineTuning.as(r.provider2).settleFees(await input({ id })), i, "AccountNotExists", [
      r.user1.address,
      r.provider2.address,
    ])
    await mined(env.ledger.as(r.user1).transferFund(r.provider2.address, FINE_TUNING, E(1)))
    await expectRevert(env.fineTuning.as(r.provider2).settleFees(await input({ id })), i, "ServiceNotExist", [
      r.provider2.address,
    ])
    await invalid(await input({ id, nonce: 0n }), "nonce should larger than the current nonce")
    await expectRevert(asP1().settleFees(await input({ id: "missing" })), i, "DeliverableNotExists", ["missing"])
    await invalid(await input({ id, modelRootHash: "0xabce" }), "model root hash mismatch")
    await invalid(await input({ id }, r.user2), "TEE settlement validation failed")
    await invalid({ ...(await input({ id })), taskFee: 11n }, "TEE settlement validation failed")
    await invalid({ ...(await input({ id })), signature: `0x${"00".repeat(65)}` }, "TEE settlement validation failed")
    await mined(env.fineTuning.revokeTEESignerAcknowledgement(p1()))
    await invalid(await input({ id }), "TEE signer not acknowledged")
    await mined(env.fineTuning.acknowledgeTEESignerByOwner(p1()))
    await settle(await input({ id }))
  })

  it("settled deliverables are evicted from the ring of 20", async () => {
    const all = Array.from({ length: 21 }, () => taskId())
    for (const id of all.slice(0, 20)) await deliver(id, true)
    await settle(await input({ id: all[0] as string, nonce: 1n }))
    await settle(await input({ id: all[1] as string, nonce: 2n }))
    await deliver(all[20] as string, false)
    const a = await env.fineTuning.getAccount(r.user1.address, p1())
    expect([a.deliverablesHead, a.deliverablesCount, a.balance]).toEqual([1n, 20n, E(2) - 20n])
    expect(a.deliverables.map((d: { id: string }) => d.id)).toEqual(all.slice(1))
    expect(a.deliverables[0].settled).toBe(true)
  })

  it("settles into pending refunds and keeps the nonce after a soft delete; ids become reusable", async () => {
    const id = taskId()
    await deliver(id, true)
    const u = env.ledger.as(r.user1)
    await mined(u.retrieveFund([p1()], FINE_TUNING))
    await settle(await input({ id, nonce: 9n, taskFee: E("0.5") }))
    let a = await env.fineTuning.getAccount(r.user1.address, p1())
    expect([a.balance, a.pendingRefund, a.refunds[0].amount]).toEqual([E("1.5"), E("1.5"), E("1.5")])

    await env.increaseTime(LOCK_TIME + 1)
    await mined(u.retrieveFund([p1()], FINE_TUNING))
    const l = await env.ledger.getLedger(r.user1.address)
    expect([l.availableBalance, l.totalBalance]).toEqual([E("9.5"), E("9.5")])
    const receipt = await mined(u.refund(E("9.5")))
    expect(events(receipt, env.fineTuning, "AccountDeleted")).toEqual([[r.user1.address, p1(), 0n]])

    await mined(u.addLedger("", { value: E(3) }))
    await mined(u.transferFund(p1(), FINE_TUNING, E(1)))
    a = await env.fineTuning.getAccount(r.user1.address, p1())
    expect([a.nonce, a.deliverablesCount, a.refunds.length, a.acknowledged]).toEqual([9n, 0n, 0, true])
    await deliver(id, true) // the id is free again
    await invalid(await input({ id, nonce: 9n }), "nonce should larger than the current nonce")
    await settle(await input({ id, nonce: 10n }))
  })
})
