import { chainLayerFromRpc } from "@0g-compute/core"
import { Effect, Layer } from "effect"
import { getAddress, toBeHex } from "ethers"
import { describe, expect, it } from "vitest"
import { contractInterfaces } from "../clients.js"
import { baseLayer, devAccount, E, runtimeOf, useDevnet } from "../testing/devnet.js"
import { moneyState } from "../testing/ledger-state.js"
import { TxEngine, type TxResult } from "../tx/engine.js"
import { Ledger } from "./service.js"
import type { SubAccount } from "./types.js"

const devnet = useDevnet()

const ledgerRuntime = (account: number) =>
  runtimeOf(Layer.provideMerge(Ledger.layer.pipe(Layer.provide(TxEngine.layer())), baseLayer(devnet, account)))
const L = <A, E>(f: (l: Ledger["Service"]) => Effect.Effect<A, E>) => Ledger.use(f)

const me = devAccount(3).address
const P_INF = devAccount(4).address
const P_FT = devAccount(5).address
const FRIEND = devAccount(6).address
const LOCK = 86_400n

const byType = (subs: ReadonlyArray<SubAccount>, t: SubAccount["serviceType"]) => {
  const found = subs.filter((s) => s.serviceType === t)
  expect(found).toHaveLength(1)
  return found[0] as SubAccount
}

describe("Ledger journey", () => {
  it("add → deposit → depositFor → transfer → retrieve → lock expiry → collect → refund all → ledger gone", async () => {
    const rt = ledgerRuntime(3)
    const start = await moneyState(devnet, me, [P_INF, P_FT])
    const friendBefore = await moneyState(devnet, FRIEND, [])
    const fees: bigint[] = []
    const tx = async (eff: Effect.Effect<TxResult, unknown, Ledger>) => {
      const r = await rt.run(eff)
      fees.push(r.fee)
      return r
    }
    const txs = async (eff: Effect.Effect<ReadonlyArray<TxResult>, unknown, Ledger>) => {
      const rs = await rt.run(eff)
      fees.push(...rs.map((r) => r.fee))
      return rs
    }

    await tx(L((l) => l.add(E(5), "journey")))
    expect(await rt.run(L((l) => l.get()))).toEqual({
      user: me,
      total: E(5),
      available: E(5),
      locked: 0n,
      additionalInfo: "journey",
    })
    await tx(L((l) => l.deposit(E(2))))
    await tx(L((l) => l.depositFor(FRIEND, E(3))))
    expect(await rt.run(L((l) => l.get(FRIEND)))).toMatchObject({ total: E(3), available: E(3) })

    await tx(L((l) => l.transfer(P_INF, "inference", E(2))))
    await tx(L((l) => l.transfer(P_FT, "fine-tuning", E("1.5"))))
    expect(await rt.run(L((l) => l.get()))).toMatchObject({ total: E(7), available: E("3.5"), locked: E("3.5") })

    const funded = await rt.run(L((l) => l.listSubAccounts()))
    expect(funded).toHaveLength(2)
    expect(byType(funded, "inference")).toMatchObject({
      provider: P_INF,
      serviceName: "inference-v1.0",
      serviceAddress: devnet.addrs.inference,
      balance: E(2),
      pendingRefund: 0n,
      spendable: E(2),
      refunds: [],
      acknowledged: true,
    })
    expect(byType(funded, "fine-tuning")).toMatchObject({
      provider: P_FT,
      serviceName: "fine-tuning-v1.0",
      balance: E("1.5"),
    })
    expect(await rt.run(L((l) => l.listSubAccounts("fine-tuning")))).toHaveLength(1)

    // First retrieve only starts the lock.
    expect(await txs(L((l) => l.retrieve("inference")))).toHaveLength(1)
    expect(await txs(L((l) => l.retrieve("fine-tuning")))).toHaveLength(1)
    const locked = await rt.run(L((l) => l.listSubAccounts()))
    const now = BigInt((await devnet.provider.getBlock("latest"))?.timestamp ?? 0)
    for (const [sub, amount] of [
      [byType(locked, "inference"), E(2)],
      [byType(locked, "fine-tuning"), E("1.5")],
    ] as const) {
      expect(sub.pendingRefund).toBe(amount)
      expect(sub.spendable).toBe(0n)
      expect(sub.refunds).toHaveLength(1)
      const refund = sub.refunds[0]
      expect(refund?.amount).toBe(amount)
      expect(refund?.unlocksAt).toBe((refund?.createdAt ?? 0n) + LOCK)
      expect(refund?.remainingLockSeconds).toBe((refund?.unlocksAt ?? 0n) - now)
      expect(refund?.remainingLockSeconds).toBeGreaterThan(0n)
    }
    expect((await rt.run(L((l) => l.get()))).available).toBe(E("3.5"))

    await devnet.rpc("evm_increaseTime", [Number(LOCK) + 1])
    await devnet.rpc("evm_mine")
    const unlocked = await rt.run(L((l) => l.listSubAccounts()))
    expect(unlocked.flatMap((s) => s.refunds.map((r) => r.remainingLockSeconds))).toEqual([0n, 0n])

    await txs(L((l) => l.retrieve("inference", [P_INF])))
    await txs(L((l) => l.retrieve("fine-tuning")))
    expect(await rt.run(L((l) => l.get()))).toMatchObject({ total: E(7), available: E(7), locked: 0n })
    const emptied = await rt.run(L((l) => l.listSubAccounts()))
    expect(emptied.map((s) => [s.balance, s.pendingRefund, s.refunds.length])).toEqual([
      [0n, 0n, 0],
      [0n, 0n, 0],
    ])

    await tx(L((l) => l.refund(E(7))))
    const gone = await rt.fail(L((l) => l.get()))
    expect(gone).toMatchObject({ _tag: "LedgerNotFound", user: me })
    expect(await rt.run(L((l) => l.listSubAccounts()))).toEqual([])

    // Conservation: the wallet lost exactly the friend's deposit plus the gas of every transaction.
    const end = await moneyState(devnet, me, [P_INF, P_FT])
    const gas = fees.reduce((a, b) => a + b, 0n)
    expect(fees).toHaveLength(10)
    expect(end.wallet).toBe(start.wallet - E(3) - gas)
    expect(end.ledger).toBeNull()
    expect(end.nonce).toBe(start.nonce + 10)
    expect(end.contracts).toEqual([start.contracts[0] + E(3), start.contracts[1], start.contracts[2]])
    expect((await moneyState(devnet, FRIEND, [])).ledger).toEqual({ total: E(3), available: E(3) })
    expect(friendBefore.ledger).toBeNull()
  })

  it("a transfer cancels pending refunds first, so only the rest must be available", async () => {
    const rt = ledgerRuntime(3)
    await rt.run(L((l) => l.add(E(5))))
    await rt.run(L((l) => l.transfer(P_INF, "inference", E(2))))
    await rt.run(L((l) => l.retrieve("inference")))
    // available 3, pending 2: 4 needs only 2 from the ledger
    await rt.run(L((l) => l.transfer(P_INF, "inference", E(4))))
    expect(await rt.run(L((l) => l.get()))).toMatchObject({ total: E(5), available: E(1) })
    const [sub] = await rt.run(L((l) => l.listSubAccounts("inference")))
    expect(sub).toMatchObject({ balance: E(4), pendingRefund: 0n, refunds: [] })
    const err = await rt.fail(L((l) => l.transfer(P_INF, "inference", E(5))))
    expect(err).toMatchObject({ _tag: "InsufficientBalance", required: E(5), available: E(1) })
  })

  it("a revert that slips past preflight (a racing duplicate refund) is typed and moves nothing but gas", async () => {
    const rt = ledgerRuntime(3)
    await rt.run(L((l) => l.add(E(5))))
    const before = await moneyState(devnet, me, [])
    const outcomes = await rt.run(
      Effect.all([L((l) => Effect.result(l.refund(E(5)))), L((l) => Effect.result(l.refund(E(5))))], {
        concurrency: "unbounded",
      }),
    )
    const ok = outcomes.filter((o) => o._tag === "Success")
    const failed = outcomes.flatMap((o) => (o._tag === "Failure" ? [o.failure] : []))
    expect(ok).toHaveLength(1)
    expect(failed).toHaveLength(1)
    const failure = failed[0]
    // Either the second estimate already saw the deleted ledger, or it was mined and reverted.
    expect(["LedgerNotFound", "TransactionReverted"]).toContain(failure?._tag)
    const revertFee = failure?._tag === "TransactionReverted" ? failure.fee : 0n
    if (failure?._tag === "TransactionReverted") expect(failure.revert?.error).toBe("LedgerNotExists")
    const paid = ok[0]?._tag === "Success" ? ok[0].success.fee : 0n
    const after = await moneyState(devnet, me, [])
    expect(after.wallet).toBe(before.wallet + E(5) - paid - revertFee)
    expect(after.ledger).toBeNull()
    expect(after.contracts[0]).toBe(before.contracts[0] - E(5))
  })

  it("retrieves from every provider in batches of at most MAX_PROVIDERS_PER_BATCH", async () => {
    const rt = ledgerRuntime(3)
    const providers = Array.from({ length: 21 }, (_, i) => getAddress(toBeHex(0x1000 + i, 20)))
    await rt.run(L((l) => l.add(E(25))))
    // Concurrent transfers: the engine serialises the nonces, every preflight sees enough available balance.
    await rt.run(
      Effect.forEach(providers, (p) => L((l) => l.transfer(p, "inference", E(1))), { concurrency: "unbounded" }),
    )
    const results = await rt.run(L((l) => l.retrieve("inference")))
    expect(results).toHaveLength(2)
    const batches = await Promise.all(
      results.map(async (r) => {
        const tx = await devnet.provider.getTransaction(r.hash)
        return contractInterfaces.LedgerManager.decodeFunctionData("retrieveFund", tx?.data ?? "0x")[0] as string[]
      }),
    )
    expect(batches.map((b) => b.length)).toEqual([20, 1])
    expect(batches.flat().sort()).toEqual([...providers].sort())
    const subs = await rt.run(L((l) => l.listSubAccounts("inference")))
    expect(subs).toHaveLength(21)
    expect(subs.every((s) => s.pendingRefund === E(1) && s.refunds.length === 1)).toBe(true)
  })

  it("finds the service name in the registry, falling back to the recommended service", async () => {
    const unregistered = getAddress(toBeHex(0xdead, 20))
    const layer = Layer.provide(
      Ledger.layerReadOnly,
      chainLayerFromRpc(devnet.rpcUrl, { network: "devnet", contracts: { inference: unregistered } }),
    )
    const rt = runtimeOf(layer)
    expect(await rt.run(L((l) => l.service("inference")))).toEqual({
      serviceType: "inference",
      name: "inference-v1.0",
      address: devnet.addrs.inference,
    })
  })
})
