import { Effect, Layer } from "effect"
import { Wallet as EthersWallet } from "ethers"
import { describe, expect, it } from "vitest"
import { contractInterfaces } from "../clients.js"
import type { ContractRevert, TransactionReverted, TransactionTimeout } from "../errors.js"
import { baseLayer, devAccount, E, runtimeOf, useDevnet } from "../testing/devnet.js"
import { TxEngine, type TxEngineOptions } from "./engine.js"

const devnet = useDevnet()

const engine = (account: number, options?: TxEngineOptions) =>
  runtimeOf(Layer.provideMerge(TxEngine.layer(options), baseLayer(devnet, account)))
const send = (req: Parameters<TxEngine["Service"]["send"]>[0]) => TxEngine.use((tx) => tx.send(req))
const nonceOf = (address: string) => devnet.provider.getTransactionCount(address, "pending")
const balanceOf = (address: string) => devnet.provider.getBalance(address)
const sink = devAccount(9).address

describe("TxEngine", () => {
  it("serialises 20 concurrent sends from one signer into consecutive nonces, all mined", async () => {
    const me = devAccount(3).address
    const rt = engine(3)
    const start = await nonceOf(me)
    const sinkBefore = await balanceOf(sink)
    const results = await rt.run(
      Effect.forEach(
        Array.from({ length: 20 }, (_, i) => i),
        (i) => send({ to: sink, data: "0x", value: BigInt(i + 1) }),
        { concurrency: "unbounded" },
      ),
    )
    expect(new Set(results.map((r) => r.hash)).size).toBe(20)
    const txs = await Promise.all(results.map((r) => devnet.provider.getTransaction(r.hash)))
    const nonces = txs.map((t) => t?.nonce).sort((a, b) => (a ?? 0) - (b ?? 0))
    expect(nonces).toEqual(Array.from({ length: 20 }, (_, i) => start + i))
    for (const r of results) {
      const receipt = await devnet.provider.getTransactionReceipt(r.hash)
      expect(receipt?.status).toBe(1)
      expect(r.fee).toBe(r.gasUsed * r.effectiveGasPrice)
      expect(r.blockNumber).toBe(receipt?.blockNumber)
    }
    expect(await nonceOf(me)).toBe(start + 20)
    expect((await balanceOf(sink)) - sinkBefore).toBe(210n) // 1 + 2 + … + 20
  })

  it("decodes an estimation revert and sends nothing", async () => {
    const me = devAccount(3).address
    const rt = engine(3)
    const [nonce, balance] = [await nonceOf(me), await balanceOf(me)]
    const data = contractInterfaces.LedgerManager.encodeFunctionData("refund", [E(1)])
    const err = (await rt.fail(send({ to: devnet.addrs.ledger, data, contract: "LedgerManager" }))) as ContractRevert
    expect(err._tag).toBe("ContractRevert")
    expect(err.error).toBe("LedgerNotExists")
    expect(err.args).toEqual({ user: me })
    expect(err.message).toBe(`No ledger exists for ${me}; create one with \`ledger.add(amount)\``)
    expect(await nonceOf(me)).toBe(nonce)
    expect(await balanceOf(me)).toBe(balance)
  })

  it("reports a mined revert as TransactionReverted with the replayed reason; only gas is spent", async () => {
    const me = devAccount(3).address
    const rt = engine(3)
    const [nonce, balance, ledgerEth] = [await nonceOf(me), await balanceOf(me), await balanceOf(devnet.addrs.ledger)]
    const data = contractInterfaces.LedgerManager.encodeFunctionData("refund", [E(1)])
    const err = (await rt.fail(
      send({ to: devnet.addrs.ledger, data, contract: "LedgerManager", gasLimit: 200_000n }),
    )) as TransactionReverted
    expect(err._tag).toBe("TransactionReverted")
    expect(err.revert?.error).toBe("LedgerNotExists")
    const receipt = await devnet.provider.getTransactionReceipt(err.hash)
    expect(receipt?.status).toBe(0)
    expect(err.fee).toBe((receipt?.gasUsed ?? 0n) * (receipt?.gasPrice ?? 0n))
    expect(err.fee).toBeGreaterThan(0n)
    expect(await nonceOf(me)).toBe(nonce + 1)
    expect(await balanceOf(me)).toBe(balance - err.fee)
    expect(await balanceOf(devnet.addrs.ledger)).toBe(ledgerEth)
  })

  it("refuses when the wallet cannot cover value + gas, before sending", async () => {
    const me = devAccount(8).address
    await devnet.rpc("anvil_setBalance", [me, `0x${E(1).toString(16)}`])
    const rt = engine(8)
    const nonce = await nonceOf(me)
    const over = (await rt.fail(send({ to: sink, data: "0x", value: E(2) }))) as {
      _tag: string
      what: string
      required: bigint
      available: bigint
    }
    expect(over).toMatchObject({
      _tag: "InsufficientBalance",
      what: "wallet balance",
      required: E(2),
      available: E(1),
    })
    const gasShort = (await rt.fail(send({ to: sink, data: "0x", value: E(1) }))) as typeof over
    expect(gasShort._tag).toBe("InsufficientBalance")
    expect(gasShort.required).toBeGreaterThan(E(1))
    expect(gasShort.available).toBe(E(1))
    expect(await nonceOf(me)).toBe(nonce)
    expect(await balanceOf(me)).toBe(E(1))
  })

  it("resyncs after 'nonce too low' when another client used the same key", async () => {
    const { address: me, privateKey } = devAccount(4)
    const rt = engine(4)
    await rt.run(send({ to: sink, data: "0x", value: 1n }))
    const outside = new EthersWallet(privateKey, devnet.provider)
    const external = await outside.sendTransaction({ to: sink, value: 1n })
    expect((await devnet.provider.getTransactionReceipt(external.hash))?.status).toBe(1) // automined
    // The engine's counter is now one behind the chain; the send must still land, on the next free nonce.
    const r = await rt.run(send({ to: sink, data: "0x", value: 1n }))
    expect((await devnet.provider.getTransaction(r.hash))?.nonce).toBe(external.nonce + 1)
    expect(await nonceOf(me)).toBe(external.nonce + 2)
  })

  it("replaces a same-nonce pending transaction with fees bumped by ≥ 10%", async () => {
    const { address: me, privateKey } = devAccount(5)
    const rt = engine(5)
    await devnet.rpc("evm_setAutomine", [false])
    try {
      const fees = await devnet.provider.getFeeData()
      const nonce = await nonceOf(me)
      const stuck = await new EthersWallet(privateKey, devnet.provider).sendTransaction({
        to: sink,
        value: 1n,
        nonce,
        gasLimit: 21_000n,
        type: 2,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      })
      const submitted: string[] = []
      const r = await rt.run(
        send({
          to: sink,
          data: "0x",
          value: 2n,
          nonce,
          gasLimit: 21_000n,
          onSubmitted: (hash) => {
            submitted.push(hash)
            void devnet.rpc("evm_mine")
          },
        }),
      )
      expect(submitted).toEqual([r.hash])
      const mined = await devnet.provider.getTransaction(r.hash)
      expect(mined?.nonce).toBe(nonce)
      expect((mined?.maxPriorityFeePerGas ?? 0n) * 10n).toBeGreaterThanOrEqual((fees.maxPriorityFeePerGas ?? 0n) * 11n)
      expect((mined?.maxFeePerGas ?? 0n) * 10n).toBeGreaterThanOrEqual((fees.maxFeePerGas ?? 0n) * 11n)
      expect(await devnet.provider.getTransactionReceipt(stuck.hash)).toBeNull()
    } finally {
      await devnet.rpc("evm_setAutomine", [true])
    }
  })

  it("times out with the hash when no block comes, and recovers afterwards", async () => {
    const me = devAccount(6).address
    const rt = engine(6, { receiptTimeoutMs: 300 })
    await devnet.rpc("evm_setAutomine", [false])
    try {
      const err = (await rt.fail(send({ to: sink, data: "0x", value: 1n }))) as TransactionTimeout
      expect(err._tag).toBe("TransactionTimeout")
      expect(err.message).toMatch(/may still be pending/)
      const pending = await devnet.provider.getTransaction(err.hash)
      expect(pending?.from).toBe(me)
      expect(pending?.blockNumber).toBeNull()
      await devnet.rpc("evm_setAutomine", [true])
      await devnet.rpc("evm_mine")
      expect((await devnet.provider.getTransactionReceipt(err.hash))?.status).toBe(1)
      // The same intent again is the earlier transaction (now mined), not a second payment…
      const again = await rt.run(send({ to: sink, data: "0x", value: 1n }))
      expect(again).toMatchObject({ hash: err.hash, resumed: true })
      // …and a different one goes out on the next nonce.
      const next = await rt.run(send({ to: sink, data: "0x", value: 2n }))
      expect((await devnet.provider.getTransaction(next.hash))?.nonce).toBe((pending?.nonce ?? -1) + 1)
    } finally {
      await devnet.rpc("evm_setAutomine", [true])
    }
  })
})
