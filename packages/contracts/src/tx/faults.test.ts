/**
 * Issue 11, "Double spend in the transaction engine": a hostile RPC (the devnet's fault proxy in front of anvil) may
 * lose answers, lie after forwarding, stall or fail. Whatever it does, one `ledger deposit` lands exactly once, the
 * hash is reported, and wallet + ledger + fees paid equals the start to the neuron.
 */
import { Effect } from "effect"
import { Transaction } from "ethers"
import { describe, expect, it, vi } from "vitest"
import type { TransactionTimeout } from "../errors.js"
import { memoryTxJournal } from "../journal.js"
import { conservationGap, minedSince } from "../testing/conservation.js"
import { devAccount, E, stackVia } from "../testing/devnet.js"
import { deposit, useFaultChain } from "../testing/fault-chain.js"
import { TxEngine } from "./engine.js"

const net = useFaultChain()
const { ledgerTotal, sends, prepared } = net

/** Exactly one deposit of `amount`, by transaction `hash`, and no neuron created or lost. */
const expectOneDeposit = async (p: Awaited<ReturnType<typeof prepared>>, hash: string, amount = E(1)) => {
  expect(await ledgerTotal(p.me)).toBe(p.ledger + amount)
  expect((await minedSince(net.devnet, p.me, p.mark.block)).hashes).toEqual([hash])
  expect(await conservationGap(net.devnet, p.me, p.mark)).toBe(0n)
}

describe("TxEngine under a hostile RPC", () => {
  it("issue reproduction: the node's answer replaced by 'nonce too low' after forwarding → one deposit, not two", async () => {
    const p = await prepared(3)
    net.proxy.setFault({ fault: { kind: "nonce-too-low-after-forwarding" }, times: 1 })
    const r = await p.rt.run(deposit(E(1)))
    expect(r.hash).toMatch(/^0x[0-9a-f]{64}$/)
    await expectOneDeposit(p, r.hash)
    expect(sends() - p.sent).toBe(1) // nothing was signed or sent a second time
  })

  it("a dropped send response (socket hang up) → the landed deposit is found and reported by hash", async () => {
    const p = await prepared(4)
    net.proxy.setFault({ fault: { kind: "drop-response" }, times: 1 })
    const r = await p.rt.run(deposit(E(1)))
    await expectOneDeposit(p, r.hash)
    expect(sends() - p.sent).toBe(1)
  })

  it.each([
    "already known",
    "insufficient funds for gas * price + value",
    "replacement transaction underpriced",
    "execution reverted",
    "internal error",
  ])("the node's answer replaced by %j after forwarding → the chain is asked first, one deposit", async (message) => {
    const p = await prepared(15)
    net.proxy.setFault({ fault: { kind: "error-after-forwarding", message }, times: 1 })
    const r = await p.rt.run(deposit(E(1)))
    await expectOneDeposit(p, r.hash)
    expect(sends() - p.sent).toBe(1)
  })

  it("a transaction dropped from the node's pool → after the receipt timeout the same bytes go out again", async () => {
    const p = await prepared(16, { receiptTimeoutMs: 300 })
    await net.devnet.rpc("evm_setAutomine", [false])
    const run = p.rt.run(deposit(E(1)))
    await vi.waitFor(() => expect(sends()).toBe(p.sent + 1), { timeout: 20_000, interval: 20 })
    const first = net.proxy.rawTransactions().at(-1) as string
    const hash = Transaction.from(first).hash as string
    await net.devnet.rpc("anvil_dropTransaction", [hash])
    expect(await net.devnet.provider.getTransaction(hash)).toBeNull()
    await net.devnet.rpc("evm_setAutomine", [true])
    const r = await run
    expect(r.hash).toBe(hash)
    expect(net.proxy.rawTransactions().slice(-2)).toEqual([first, first])
    await expectOneDeposit(p, hash)
  })

  it("a 5xx before the node saw it → the same signed bytes again (provably dropped), one deposit", async () => {
    const p = await prepared(5)
    net.proxy.setFault({ fault: { kind: "http-status", status: 503 }, times: 1 })
    const r = await p.rt.run(deposit(E(1)))
    await expectOneDeposit(p, r.hash)
    const raws = net.proxy.rawTransactions().slice(-2)
    expect(sends() - p.sent).toBe(2)
    expect(raws[0]).toBe(raws[1])
    expect(Transaction.from(raws[0] as string).hash).toBe(r.hash)
  })

  it("a 5xx after the node took it → found on the chain, not resent", async () => {
    const p = await prepared(6)
    net.proxy.setFault({ fault: { kind: "http-status", status: 502, forward: true }, times: 1 })
    const r = await p.rt.run(deposit(E(1)))
    await expectOneDeposit(p, r.hash)
    expect(sends() - p.sent).toBe(1)
  })

  it("receipts slower than the receipt timeout → the chain is asked and the mined deposit reported", async () => {
    const p = await prepared(7, { receiptTimeoutMs: 250 })
    net.proxy.setFault({ fault: { kind: "delay", ms: 600 }, methods: ["eth_getTransactionReceipt"] })
    const r = await p.rt.run(deposit(E(1)))
    await expectOneDeposit(p, r.hash)
  })

  it("receipt timeout → TransactionTimeout with the hash; `wait(hash)` then reports the same deposit", async () => {
    const p = await prepared(8, { receiptTimeoutMs: 300 })
    await net.devnet.rpc("evm_setAutomine", [false])
    const err = (await p.rt.fail(deposit(E(1)))) as TransactionTimeout
    expect(err._tag).toBe("TransactionTimeout")
    expect((await net.devnet.provider.getTransaction(err.hash))?.from).toBe(p.me)
    await net.devnet.rpc("evm_setAutomine", [true])
    await net.devnet.rpc("evm_mine")
    const r = await p.rt.run(TxEngine.use((t) => t.wait(err.hash)))
    expect(r.hash).toBe(err.hash)
    await expectOneDeposit(p, err.hash)
  })

  /** A deposit stuck in the pool (automine off) after a TransactionTimeout, and a second engine sharing the journal. */
  const stuckDeposit = async (i: number) => {
    const journal = memoryTxJournal()
    const p = await prepared(i, { receiptTimeoutMs: 300, journal })
    await net.devnet.rpc("evm_setAutomine", [false])
    const err = (await p.rt.fail(deposit(E(1)))) as TransactionTimeout
    expect(err._tag).toBe("TransactionTimeout")
    const patient = stackVia(net.proxy.url, i, { journal })
    return { p, err, patient, stuck: await net.devnet.provider.getTransaction(err.hash) }
  }

  /** Runs a replacement, mines one block once the node has it, and returns its outcome. */
  const replaceAndMine = async <A>(run: Promise<A>, sentBefore: number) => {
    await vi.waitFor(() => expect(sends()).toBe(sentBefore + 1), { timeout: 20_000, interval: 20 })
    await net.devnet.rpc("evm_mine")
    return run
  }

  it("speedUp(hash) replaces a stuck deposit at the same nonce with fees ≥ 10 % higher; only it is mined", async () => {
    const { p, err, patient, stuck } = await stuckDeposit(10)
    const r = await replaceAndMine(patient.run(TxEngine.use((t) => t.speedUp(err.hash))), sends())
    expect(r.replaced).toBe(true)
    expect(r.hash).toBe(r.replacement)
    expect(r.hash).not.toBe(err.hash)
    const mined = await net.devnet.provider.getTransaction(r.hash)
    expect(mined?.nonce).toBe(stuck?.nonce)
    expect((mined?.maxFeePerGas ?? 0n) * 10n).toBeGreaterThanOrEqual((stuck?.maxFeePerGas ?? 0n) * 11n)
    expect((mined?.maxPriorityFeePerGas ?? 0n) * 10n).toBeGreaterThanOrEqual((stuck?.maxPriorityFeePerGas ?? 0n) * 11n)
    expect(await net.devnet.provider.getTransactionReceipt(err.hash)).toBeNull()
    await expectOneDeposit(p, r.hash)
    // Waiting for the original now reports the replacement that settled its intent.
    expect((await p.rt.run(TxEngine.use((t) => t.wait(err.hash)))).hash).toBe(r.hash)
  })

  it("cancel(hash) replaces a stuck deposit with a 0-value self-transfer: nothing deposited, only gas paid", async () => {
    const { p, err, patient } = await stuckDeposit(11)
    const r = await replaceAndMine(patient.run(TxEngine.use((t) => t.cancel(err.hash))), sends())
    expect(r.replaced).toBe(true)
    const mined = await net.devnet.provider.getTransaction(r.hash)
    expect(mined).toMatchObject({ to: p.me, value: 0n, data: "0x" })
    expect(await ledgerTotal(p.me)).toBe(p.ledger)
    expect((await minedSince(net.devnet, p.me, p.mark.block)).hashes).toEqual([r.hash])
    expect(await conservationGap(net.devnet, p.me, p.mark)).toBe(0n)
    // The intent is settled as cancelled, so the same deposit asked again is a new payment.
    await net.devnet.rpc("evm_setAutomine", [true])
    const again = await patient.run(deposit(E(1)))
    expect(again.resumed).toBeUndefined()
    expect(await ledgerTotal(p.me)).toBe(p.ledger + E(1))
  })
})

describe("TxEngine.wait and explicit controls refuse what they cannot do", () => {
  it("speedUp / cancel of a mined transaction → TransactionAlreadyMined; an unknown hash → TransactionNotFound", async () => {
    const p = await prepared(12)
    const r = await p.rt.run(deposit(E(1)))
    const mined = await p.rt.fail(TxEngine.use((t) => t.speedUp(r.hash)))
    expect(mined).toMatchObject({ _tag: "TransactionAlreadyMined", hash: r.hash, blockNumber: r.blockNumber })
    const cancelled = await p.rt.fail(TxEngine.use((t) => t.cancel(r.hash)))
    expect(cancelled._tag).toBe("TransactionAlreadyMined")
    const nobody = `0x${"ab".repeat(32)}`
    expect(await p.rt.fail(TxEngine.use((t) => t.wait(nobody)))).toMatchObject({
      _tag: "TransactionNotFound",
      hash: nobody,
    })
    await expectOneDeposit(p, r.hash)
  })

  it("speedUp of someone else's pending transaction → NotOwnTransaction", async () => {
    const p = await prepared(13)
    await net.devnet.rpc("evm_setAutomine", [false])
    const theirs = await Effect.runPromise(
      Effect.tryPromise(() =>
        net.devnet.provider.send("eth_sendTransaction", [{ from: devAccount(4).address, to: p.me, value: "0x1" }]),
      ),
    )
    const err = await p.rt.fail(TxEngine.use((t) => t.speedUp(theirs as string)))
    expect(err).toMatchObject({ _tag: "NotOwnTransaction", from: devAccount(4).address, address: p.me })
  })
})
