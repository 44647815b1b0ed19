/**
 * Signers that cannot sign locally (a browser wallet's JsonRpcSigner broadcasts itself): the engine falls back to
 * `sendTransaction`, records the hash it gets back, and — without a hash to ask about — never signs again when the
 * nonce may have been used by its own transaction.
 */
import { Effect } from "effect"
import { toQuantity } from "ethers"
import { describe, expect, it } from "vitest"
import { memoryTxJournal, type TxJournalShape } from "../journal.js"
import { Ledger } from "../ledger/service.js"
import { broadcastOnlyStack } from "../testing/broadcast-only-signer.js"
import { conservationGap, markMoney, minedSince } from "../testing/conservation.js"
import { devAccount, E } from "../testing/devnet.js"
import { useFaultChain } from "../testing/fault-chain.js"
import { moneyState } from "../testing/ledger-state.js"
import { TxJournalError } from "./errors.js"

const net = useFaultChain({ resetAutomine: false })

/** Ledger + engine over a broadcast-only signer connected to the chain's provider (the proxy), as a facade does it. */
const fallbackStack = (i: number, journal?: TxJournalShape) => broadcastOnlyStack(net.proxy.url, i, journal)

describe("signers without local signing", () => {
  it("deposit through sendTransaction: the hash is recorded and the deposit lands once", async () => {
    const i = 30
    const me = devAccount(i).address
    await net.devnet.rpc("anvil_setBalance", [me, toQuantity(E(100))])
    const { rt, journal } = fallbackStack(i)
    await rt.run(Ledger.use((l) => l.add(E(3))))
    const mark = await markMoney(net.devnet, me)
    const before = (await moneyState(net.devnet, me, [])).ledger?.total ?? 0n
    const r = await rt.run(Ledger.use((l) => l.deposit(E(1))))
    expect((await moneyState(net.devnet, me, [])).ledger?.total).toBe(before + E(1))
    expect((await minedSince(net.devnet, me, mark.block)).hashes).toEqual([r.hash])
    expect(await conservationGap(net.devnet, me, mark)).toBe(0n)
    const entry = (await rt.run(journal.entries)).find((e) => e.id === r.hash)
    expect(entry).toMatchObject({ raws: [""], resolved: { outcome: "mined", hash: r.hash } })
  })

  it("'nonce too low' after forwarding: outcome unknown (no hash to check), never a second deposit", async () => {
    const i = 31
    const me = devAccount(i).address
    await net.devnet.rpc("anvil_setBalance", [me, toQuantity(E(100))])
    const { rt } = fallbackStack(i)
    await rt.run(Ledger.use((l) => l.add(E(3))))
    const mark = await markMoney(net.devnet, me)
    const before = (await moneyState(net.devnet, me, [])).ledger?.total ?? 0n
    net.proxy.setFault({ fault: { kind: "nonce-too-low-after-forwarding" }, times: 1 })
    const err = await rt.fail(Ledger.use((l) => l.deposit(E(1))))
    expect(err).toMatchObject({ _tag: "TransactionOutcomeUnknown" })
    expect((await moneyState(net.devnet, me, [])).ledger?.total).toBe(before + E(1))
    const landed = (await minedSince(net.devnet, me, mark.block)).hashes
    expect(landed).toHaveLength(1)
    // Recorded by its nonce: the same deposit asked again finds the transaction mined there, and pays nothing.
    const again = await rt.run(Ledger.use((l) => l.deposit(E(1))))
    expect(again).toMatchObject({ hash: landed[0], resumed: true })
    expect((await moneyState(net.devnet, me, [])).ledger?.total).toBe(before + E(1))
    expect((await minedSince(net.devnet, me, mark.block)).hashes).toEqual(landed)
    expect(await conservationGap(net.devnet, me, mark)).toBe(0n)
  })

  it("the journal failing after the wallet broadcast → the deposit's hash is still reported (a warning, not an error)", async () => {
    const i = 32
    const me = devAccount(i).address
    await net.devnet.rpc("anvil_setBalance", [me, toQuantity(E(100))])
    const inner = memoryTxJournal()
    let broken = false
    const journal: TxJournalShape = {
      location: "failing",
      entries: inner.entries,
      put: (e) => (broken ? Effect.fail(new TxJournalError({ path: "failing", reason: "EIO" })) : inner.put(e)),
    }
    const { rt } = fallbackStack(i, journal)
    await rt.run(Ledger.use((l) => l.add(E(3))))
    const mark = await markMoney(net.devnet, me)
    const before = (await moneyState(net.devnet, me, [])).ledger?.total ?? 0n
    broken = true
    const r = await rt.run(Ledger.use((l) => l.deposit(E(1))))
    expect((await minedSince(net.devnet, me, mark.block)).hashes).toEqual([r.hash])
    expect((await moneyState(net.devnet, me, [])).ledger?.total).toBe(before + E(1))
    expect(await conservationGap(net.devnet, me, mark)).toBe(0n)
  })
})
