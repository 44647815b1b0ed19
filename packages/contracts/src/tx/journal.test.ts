/**
 * The pending-intent journal: a re-run of the same operation after a crash (a new engine, a new provider, only the
 * journal file in common) reports the earlier transaction instead of paying twice. Plus the file format guarantees
 * and the gas-price controls (`gasPrice`, `maxGasPrice`).
 */
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ConnectionOptions } from "@0g-compute/core"
import { Effect, Redacted } from "effect"
import { keccak256, Transaction, toQuantity, Wallet } from "ethers"
import { beforeAll, describe, expect, it } from "vitest"
import { ledgerManager } from "../clients.js"
import type { TransactionTimeout } from "../errors.js"
import type { JournalEntry } from "../journal.js"
import { LedgerClient } from "../ledger/facade.js"
import { Ledger } from "../ledger/service.js"
import { fileTxJournal } from "../node/journal-file.js"
import { conservationGap, markMoney, minedSince } from "../testing/conservation.js"
import { devAccount, E, stackVia } from "../testing/devnet.js"
import { deposit, useFaultChain } from "../testing/fault-chain.js"
import { TxEngine } from "./engine.js"
import type { GasPriceAboveMax, PendingIntentExists, TransactionOutcomeUnknown } from "./errors.js"

const net = useFaultChain()
const { ledgerTotal } = net
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zg-journal-"))
})

const pendingOf = TxEngine.use((t) => t.pending)
const entriesIn = async (path: string) =>
  (JSON.parse(await readFile(path, "utf8")) as { entries: JournalEntry[] }).entries

const withLedger = async (i: number, journalPath: string) => {
  const me = devAccount(i).address
  await net.devnet.rpc("anvil_setBalance", [me, toQuantity(E(100))])
  const setup = stackVia(net.proxy.url, i, { journal: fileTxJournal(journalPath) })
  await setup.run(Ledger.use((l) => l.add(E(3))))
  await setup.dispose()
  return { me, mark: await markMoney(net.devnet, me), ledger: await ledgerTotal(me) }
}

describe("journal re-run after a crash", () => {
  it("a deposit left pending by a crashed run: the re-run reports it (PendingIntentExists, then its outcome), never a second one", async () => {
    const path = join(dir, "pending.json")
    const { me, mark, ledger } = await withLedger(20, path)
    const crashed = stackVia(net.proxy.url, 20, { receiptTimeoutMs: 300, journal: fileTxJournal(path) })
    await net.devnet.rpc("evm_setAutomine", [false])
    const lost = (await crashed.fail(deposit(E(1)))) as TransactionTimeout
    await crashed.dispose() // the process is gone; only the file remains
    const open = (await entriesIn(path)).filter((e) => e.resolved === undefined)
    expect(open).toMatchObject([{ id: lost.hash, intent: `ledger.deposit:${me}:${E(1)}`, hashes: [lost.hash] }])
    expect(open[0]?.genesis).toBe((await net.devnet.provider.getBlock(0))?.hash)
    expect((await stat(path)).mode & 0o777).toBe(0o600)

    const rerun = stackVia(net.proxy.url, 20, { receiptTimeoutMs: 300, journal: fileTxJournal(path) })
    const sent = net.proxy.calls("eth_sendRawTransaction")
    const still = (await rerun.fail(deposit(E(1)))) as PendingIntentExists
    expect(still).toMatchObject({ _tag: "PendingIntentExists", hash: lost.hash })
    expect(net.proxy.calls("eth_sendRawTransaction")).toBe(sent) // nothing new signed or sent
    await net.devnet.rpc("evm_setAutomine", [true])
    await net.devnet.rpc("evm_mine")
    const r = await rerun.run(deposit(E(1)))
    expect(r).toMatchObject({ hash: lost.hash, resumed: true })
    expect(await ledgerTotal(me)).toBe(ledger + E(1))
    expect((await minedSince(net.devnet, me, mark.block)).hashes).toEqual([lost.hash])
    expect(await conservationGap(net.devnet, me, mark)).toBe(0n)
    expect((await entriesIn(path)).find((e) => e.id === lost.hash)?.resolved?.outcome).toBe("mined")
    // Settled: the same deposit asked once more is a new, second payment, as asked.
    const next = await rerun.run(deposit(E(1)))
    expect(next.resumed).toBeUndefined()
    expect(await ledgerTotal(me)).toBe(ledger + E(2))
  })

  it("a signed deposit the node never received: the re-run broadcasts the same bytes, one deposit", async () => {
    const path = join(dir, "never-sent.json")
    const { me, mark, ledger } = await withLedger(21, path)
    net.proxy.setFault({ fault: { kind: "http-status", status: 503 } })
    const crashed = stackVia(net.proxy.url, 21, { maxAttempts: 2, journal: fileTxJournal(path) })
    const unknown = (await crashed.fail(deposit(E(1)))) as TransactionOutcomeUnknown
    await crashed.dispose()
    expect(unknown._tag).toBe("TransactionOutcomeUnknown")
    expect(unknown.hash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await net.devnet.provider.getTransaction(unknown.hash)).toBeNull()
    net.proxy.setFault(undefined)
    const rerun = stackVia(net.proxy.url, 21, { journal: fileTxJournal(path) })
    const r = await rerun.run(deposit(E(1)))
    expect(r).toMatchObject({ hash: unknown.hash, resumed: true })
    expect(await ledgerTotal(me)).toBe(ledger + E(1))
    expect((await minedSince(net.devnet, me, mark.block)).hashes).toEqual([unknown.hash])
    expect(await conservationGap(net.devnet, me, mark)).toBe(0n)
  })

  it("an entry from another chain with the same chain id (a restarted devnet) is never resumed or rebroadcast", async () => {
    const path = join(dir, "other-chain.json")
    const { me, mark, ledger } = await withLedger(26, path)
    // A deposit signed for "another devnet": same chain id, same nonce, never sent; its journal entry left open.
    const wallet = new Wallet(devAccount(26).privateKey, net.devnet.provider)
    const nonce = await net.devnet.provider.getTransactionCount(me, "pending")
    const data = ledgerManager(net.devnet.addrs.ledger, net.devnet.provider).interface.encodeFunctionData("depositFund")
    const stale = await wallet.signTransaction(
      await wallet.populateTransaction({ to: net.devnet.addrs.ledger, data, value: E(1), nonce }),
    )
    const staleHash = Transaction.from(stale).hash as string
    await Effect.runPromise(
      fileTxJournal(path).put({
        id: staleHash,
        intent: `ledger.deposit:${me}:${E(1)}`,
        chainId: "31337",
        genesis: `0x${"11".repeat(32)}`,
        from: me,
        to: net.devnet.addrs.ledger,
        nonce,
        value: E(1).toString(),
        dataDigest: keccak256(data),
        hashes: [staleHash],
        raws: [stale],
        createdAt: new Date().toISOString(),
      }),
    )
    const rt = stackVia(net.proxy.url, 26, { journal: fileTxJournal(path) })
    const r = await rt.run(deposit(E(1)))
    expect(r.resumed).toBeUndefined()
    expect(net.proxy.rawTransactions()).not.toContain(stale)
    expect(await ledgerTotal(me)).toBe(ledger + E(1))
    expect((await minedSince(net.devnet, me, mark.block)).hashes).toEqual([r.hash])
  })

  it("two identical deposits at once in one process are two payments: only re-runs are settled from the journal", async () => {
    const path = join(dir, "concurrent.json")
    const { me, mark, ledger } = await withLedger(27, path)
    const rt = stackVia(net.proxy.url, 27, { journal: fileTxJournal(path) })
    const [a, b] = await rt.run(Effect.all([deposit(E(1)), deposit(E(1))], { concurrency: "unbounded" }))
    expect(a?.hash).not.toBe(b?.hash)
    expect([a?.resumed, b?.resumed]).toEqual([undefined, undefined])
    expect(await ledgerTotal(me)).toBe(ledger + E(2))
    expect(await conservationGap(net.devnet, me, mark)).toBe(0n)
  })

  it("pending() lists unresolved intents with what the chain says", async () => {
    const path = join(dir, "list.json")
    const { me } = await withLedger(22, path)
    const rt = stackVia(net.proxy.url, 22, { receiptTimeoutMs: 300, journal: fileTxJournal(path) })
    await net.devnet.rpc("evm_setAutomine", [false])
    const lost = (await rt.fail(deposit(E(1)))) as TransactionTimeout
    const listed = await rt.run(pendingOf)
    expect(listed).toMatchObject([
      { hash: lost.hash, state: "pending", value: E(1), intent: `ledger.deposit:${me}:${E(1)}` },
    ])
    await net.devnet.rpc("evm_mine")
    const after = await rt.run(pendingOf)
    expect(after).toMatchObject([{ hash: lost.hash, state: "mined" }])
    expect(await rt.run(pendingOf)).toEqual([]) // resolved by the listing
  })
})

describe("file journal", () => {
  it("refuses a file that is not a journal instead of treating it as empty", async () => {
    const path = join(dir, "garbage.json")
    await writeFile(path, '{"entries": 3}')
    const err = await Effect.runPromise(Effect.flip(fileTxJournal(path).entries))
    expect(err).toMatchObject({ _tag: "TxJournalError", path })
    expect(err.message).toMatch(/not a transaction journal/)
  })
})

describe("gas controls", () => {
  it("maxGasPrice below the base fee → GasPriceAboveMax before anything is signed", async () => {
    const i = 23
    const me = devAccount(i).address
    await net.devnet.rpc("anvil_setBalance", [me, toQuantity(E(100))])
    const base = (await net.devnet.provider.getBlock("latest"))?.baseFeePerGas ?? 0n
    expect(base).toBeGreaterThan(1n)
    const rt = stackVia(net.proxy.url, i, { maxGasPrice: base - 1n })
    const sent = net.proxy.calls("eth_sendRawTransaction")
    const err = (await rt.fail(Ledger.use((l) => l.add(E(3))))) as GasPriceAboveMax
    expect(err).toMatchObject({ _tag: "GasPriceAboveMax", required: base, maximum: base - 1n })
    expect(net.proxy.calls("eth_sendRawTransaction")).toBe(sent)
    expect(await net.devnet.provider.getTransactionCount(me, "pending")).toBe(0)
  })

  it("maxGasPrice caps the max fee; a fixed gasPrice sends legacy transactions at exactly that price", async () => {
    const i = 24
    const me = devAccount(i).address
    await net.devnet.rpc("anvil_setBalance", [me, toQuantity(E(100))])
    const base = (await net.devnet.provider.getBlock("latest"))?.baseFeePerGas ?? 0n
    const capped = stackVia(net.proxy.url, i, { maxGasPrice: base * 2n })
    const fixed = stackVia(net.proxy.url, i, { gasPrice: base * 3n })
    const a = await capped.run(Ledger.use((l) => l.add(E(3))))
    const ta = await net.devnet.provider.getTransaction(a.hash)
    expect(ta?.type).toBe(2)
    expect(ta?.maxFeePerGas).toBe(base * 2n) // the network's suggestion (2 × base + tip) was above the ceiling
    const b = await fixed.run(deposit(E(1)))
    const tb = await net.devnet.provider.getTransaction(b.hash)
    expect(tb?.type).toBe(0)
    expect(tb?.gasPrice).toBe(base * 3n)
    expect(b.effectiveGasPrice).toBe(base * 3n)
  })

  it("the facade takes them through ConnectionOptions.tx (what createBroker passes on)", async () => {
    const i = 25
    await net.devnet.rpc("anvil_setBalance", [devAccount(i).address, toQuantity(E(100))])
    const base = (await net.devnet.provider.getBlock("latest"))?.baseFeePerGas ?? 0n
    const connection: ConnectionOptions = {
      rpcUrl: net.proxy.url,
      network: "devnet",
      privateKey: Redacted.make(devAccount(i).privateKey),
      tx: { gasPrice: base * 4n },
    }
    const client = await LedgerClient.connect(connection)
    try {
      const r = await client.add("3")
      expect((await net.devnet.provider.getTransaction(r.hash))?.gasPrice).toBe(base * 4n)
    } finally {
      await client.close()
    }
  })
})
