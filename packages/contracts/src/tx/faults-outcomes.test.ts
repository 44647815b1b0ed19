/**
 * Issue 11 item 1, the review of the rebuilt engine: a refusal of a transaction the node cannot see yet proves
 * nothing (another backend may mine it), and a cancelled intent is never reported as the operation's success.
 * Through the devnet's RPC fault proxy in front of anvil; money conserved to the neuron.
 */
import { Effect } from "effect"
import { Transaction } from "ethers"
import { describe, expect, it, vi } from "vitest"
import type { TransactionTimeout } from "../errors.js"
import { memoryTxJournal } from "../journal.js"
import { conservationGap, minedSince } from "../testing/conservation.js"
import { E, stackVia } from "../testing/devnet.js"
import { deposit, useFaultChain } from "../testing/fault-chain.js"
import { TxEngine } from "./engine.js"

const net = useFaultChain()
const { ledgerTotal, sends, prepared } = net

const hashOf = (raw: string) => Transaction.from(raw).hash as string

describe("a refusal of a transaction the node does not show yet", () => {
  it("'replacement transaction underpriced' while another backend holds tx1 → the retry replaces it at the same nonce; one deposit", async () => {
    const p = await prepared(17)
    // tx1 is taken (held) and refused; the node sees it only when the retry arrives, then the retry is "nonce too low".
    net.proxy.setFault({
      fault: { kind: "error-and-hold", message: "replacement transaction underpriced" },
      times: 1,
    })
    const r = await p.rt.run(deposit(E(1)))
    const first = hashOf(net.proxy.rawTransactions()[p.sent] as string)
    expect(r.hash).toBe(first)
    expect(await ledgerTotal(p.me)).toBe(p.ledger + E(1))
    expect((await minedSince(net.devnet, p.me, p.mark.block)).hashes).toEqual([first])
    expect(await conservationGap(net.devnet, p.me, p.mark)).toBe(0n)
    // Every signature went out at one nonce: nothing was signed at the next.
    const nonces = new Set(
      net.proxy
        .rawTransactions()
        .slice(p.sent)
        .map((raw) => Transaction.from(raw).nonce),
    )
    expect(nonces.size).toBe(1)
  })

  it("'insufficient funds' while another backend holds tx1 → not voided: the re-run reports tx1, nothing paid twice", async () => {
    const journal = memoryTxJournal()
    const p = await prepared(18, { journal })
    net.proxy.setFault({
      fault: { kind: "error-and-hold", message: "insufficient funds for gas * price + value" },
      times: 1,
    })
    const refused = await p.rt.fail(deposit(E(1)))
    expect(refused._tag).toBe("InsufficientBalance")
    const first = hashOf(net.proxy.rawTransactions()[p.sent] as string)
    expect((await Effect.runPromise(journal.entries)).find((e) => e.id === first)?.resolved).toBeUndefined()
    // Another operation's send releases the held tx1 to the node, which mines it.
    await p.rt.run(deposit(E(2)))
    expect(await net.devnet.provider.getTransactionReceipt(first)).not.toBeNull()
    const again = await p.rt.run(deposit(E(1)))
    expect(again).toMatchObject({ hash: first, resumed: true })
    expect(await ledgerTotal(p.me)).toBe(p.ledger + E(3))
    expect(await conservationGap(net.devnet, p.me, p.mark)).toBe(0n)
  })
})

describe("a cancelled intent", () => {
  it("a re-run after a timed-out cancel → TransactionCancelled with the cancel's hash, not success; speedUp keeps it a cancel", async () => {
    const journal = memoryTxJournal()
    const p = await prepared(19, { receiptTimeoutMs: 300, journal })
    const patient = stackVia(net.proxy.url, 19, { journal })
    await net.devnet.rpc("evm_setAutomine", [false])
    const stuck = (await p.rt.fail(deposit(E(1)))) as TransactionTimeout
    expect(stuck._tag).toBe("TransactionTimeout")
    const timedOut = (await p.rt.fail(TxEngine.use((t) => t.cancel(stuck.hash)))) as TransactionTimeout
    expect(timedOut._tag).toBe("TransactionTimeout")
    const cancelHash = hashOf(net.proxy.rawTransactions().at(-1) as string)
    // Speeding up the cancellation must stay a zero-value self-transfer.
    const before = sends()
    const sped = patient.run(TxEngine.use((t) => t.speedUp(cancelHash)))
    await vi.waitFor(() => expect(sends()).toBe(before + 1), { timeout: 20_000, interval: 20 })
    const faster = Transaction.from(net.proxy.rawTransactions().at(-1) as string)
    expect(faster).toMatchObject({ to: p.me, value: 0n, data: "0x" })
    await net.devnet.rpc("evm_mine")
    expect((await sped).hash).toBe(faster.hash)
    await net.devnet.rpc("evm_setAutomine", [true])
    // The deposit asked again finds its intent cancelled: an error naming the cancel, nothing deposited.
    const err = await p.rt.fail(TxEngine.use((t) => t.wait(stuck.hash)))
    expect(err).toMatchObject({ _tag: "TransactionCancelled", hash: faster.hash })
    expect(await ledgerTotal(p.me)).toBe(p.ledger)
    expect((await minedSince(net.devnet, p.me, p.mark.block)).hashes).toEqual([faster.hash])
    expect(await conservationGap(net.devnet, p.me, p.mark)).toBe(0n)
  })

  it("a re-run of the same deposit while the cancel is unresolved → TransactionCancelled, nothing deposited", async () => {
    const journal = memoryTxJournal()
    const p = await prepared(20, { receiptTimeoutMs: 300, journal })
    await net.devnet.rpc("evm_setAutomine", [false])
    const stuck = (await p.rt.fail(deposit(E(1)))) as TransactionTimeout
    const timedOut = await p.rt.fail(TxEngine.use((t) => t.cancel(stuck.hash)))
    expect(timedOut._tag).toBe("TransactionTimeout")
    const cancelHash = hashOf(net.proxy.rawTransactions().at(-1) as string)
    await net.devnet.rpc("evm_setAutomine", [true])
    await net.devnet.rpc("evm_mine")
    const err = await p.rt.fail(deposit(E(1)))
    expect(err).toMatchObject({ _tag: "TransactionCancelled", hash: cancelHash })
    expect(await ledgerTotal(p.me)).toBe(p.ledger)
    expect(await conservationGap(net.devnet, p.me, p.mark)).toBe(0n)
  })
})
