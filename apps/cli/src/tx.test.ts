/**
 * `0g-compute tx …` and the journal next to the keystore, run in-process, against a devnet behind the
 * RPC fault proxy: the issue-11 reproduction through the CLI, then pending → speed-up → wait and cancel of stuck
 * transactions signed with the same key and journal.
 */
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeTxEngine, type TransactionTimeout, TxEngine } from "@0g-compute/contracts"
import { fileTxJournal } from "@0g-compute/contracts/node"
import { chainLayerFromRpc, walletLayerFromPrivateKey } from "@0g-compute/core"
import { type Devnet, type RpcFaultProxy, startDevnet, startRpcFaultProxy } from "@0g-compute/devnet"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { JsonRpcProvider } from "ethers"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { runCli } from "./testing/cli.js"

describe("0g-compute tx (in-process, devnet behind a fault proxy)", () => {
  let devnet: Devnet
  let proxy: RpcFaultProxy
  let chain: JsonRpcProvider
  let key: Redacted.Redacted<string>
  let me: string
  let env: Record<string, string>
  const cli = (args: ReadonlyArray<string>) => runCli(["--network", proxy.url, ...args], env)
  const json = async (args: ReadonlyArray<string>) => {
    const r = await cli([...args, "--json"])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    return JSON.parse(r.stdout)
  }
  const sends = () => proxy.calls("eth_sendRawTransaction")

  beforeAll(async () => {
    devnet = await startDevnet({ registerServices: false })
    proxy = await startRpcFaultProxy({ upstream: devnet.rpcUrl })
    chain = new JsonRpcProvider(devnet.rpcUrl, undefined, { cacheTimeout: -1 })
    const user = devnet.accounts.users[3]
    if (user === undefined) throw new Error("no devnet user")
    key = user.privateKey
    me = user.address
    env = { ZG_PRIVATE_KEY: Redacted.value(key), ZG_CONFIG_DIR: await mkdtemp(join(tmpdir(), "zg-cli-tx-")) }
  })
  afterAll(async () => {
    chain?.destroy()
    await proxy?.close()
    await devnet?.stop()
  })

  /** A transfer stuck in the pool (automine off), signed by an engine on the CLI's journal file. */
  const stuck = async (value: bigint) => {
    const layer = Layer.effect(
      TxEngine,
      makeTxEngine({
        receiptTimeoutMs: 300,
        journal: fileTxJournal(join(env.ZG_CONFIG_DIR as string, "tx-journal.json")),
      }),
    ).pipe(Layer.provideMerge(Layer.provideMerge(walletLayerFromPrivateKey(key), chainLayerFromRpc(proxy.url))))
    const rt = ManagedRuntime.make(layer)
    try {
      await chain.send("evm_setAutomine", [false])
      return (await rt.runPromise(
        Effect.flip(TxEngine.use((t) => t.send({ to: devnet.accounts.users[4]?.address ?? me, data: "0x", value }))),
      )) as TransactionTimeout
    } finally {
      await rt.dispose()
    }
  }

  /** Spawns a replacement command, mines one block once its transaction reached the node, returns the document. */
  const replaceAndMine = async (args: ReadonlyArray<string>) => {
    const before = sends()
    const run = cli([...args, "--json"])
    await vi.waitFor(() => expect(sends()).toBe(before + 1), { timeout: 60_000, interval: 50 })
    await chain.send("evm_mine", [])
    const r = await run
    expect(r.code).toBe(0)
    return JSON.parse(r.stdout)
  }

  it("issue reproduction: `ledger deposit 1` through an RPC that answers 'nonce too low' after forwarding deposits once", async () => {
    expect((await cli(["ledger", "add", "3", "--json"])).code).toBe(0)
    proxy.setFault({ fault: { kind: "nonce-too-low-after-forwarding" }, times: 1 })
    const before = sends()
    const doc = await json(["ledger", "deposit", "1"])
    expect(doc.tx.hash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(sends() - before).toBe(1)
    const show = await json(["ledger", "show"])
    expect(show.ledger.total).toBe("4000000000000000000")
  })

  it("pending → speed-up → wait, then cancel, on transactions left stuck by an earlier run", async () => {
    const lost = await stuck(7n)
    try {
      const listed = await json(["tx", "pending"])
      expect(listed.journal).toBe(join(env.ZG_CONFIG_DIR as string, "tx-journal.json"))
      expect(listed.pending).toMatchObject([{ hash: lost.hash, state: "pending" }])

      const sped = await replaceAndMine(["tx", "speed-up", lost.hash, "--bump", "20"])
      expect(sped).toMatchObject({ action: "speed-up", original: lost.hash, tx: { replaced: true } })
      expect(sped.tx.hash).toBe(sped.tx.replacement)
      expect(await chain.getTransactionReceipt(lost.hash)).toBeNull()
      const waited = await json(["tx", "wait", lost.hash])
      expect(waited).toMatchObject({ action: "wait", replaced: true, tx: { hash: sped.tx.hash } })

      const second = await stuck(8n)
      const cancelled = await replaceAndMine(["tx", "cancel", second.hash])
      expect(cancelled.tx.replaced).toBe(true)
      expect(await chain.getTransaction(cancelled.tx.hash)).toMatchObject({ to: me, value: 0n })
      expect((await json(["tx", "pending"])).pending).toEqual([])
    } finally {
      await chain.send("evm_setAutomine", [true])
    }
  })

  it("a malformed hash is refused with a one-line error", async () => {
    const r = await cli(["tx", "wait", "0x1234"])
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toBe('error: "0x1234" is not a transaction hash (0x followed by 64 hex digits)')
  })
})
