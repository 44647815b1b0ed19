/**
 * Transaction options from a careless caller (`Number(process.env.X)` is NaN when unset): a value that is no usable
 * number fails the connection with InvalidTxOption naming it, instead of a RangeError in the middle of a
 * replacement, a receipt wait that ends at once (every deposit "timed out" while it lands) or a resend loop without
 * end. Against anvil, through the Promise facade and the engine's own controls.
 */
import { failure } from "@0g-compute/core/testing"
import { describe, expect, it } from "vitest"
import { createLedgerClient } from "../ledger/facade.js"
import { devAccount, stackVia, useDevnet } from "../testing/devnet.js"
import { TxEngine, type TxEngineOptions } from "./engine.js"

const devnet = useDevnet()
const user = devAccount(3)

describe("transaction options that are no usable number", () => {
  it.each<[keyof TxEngineOptions, unknown]>([
    ["feeBumpPercent", Number.NaN],
    ["feeBumpPercent", Number.POSITIVE_INFINITY],
    ["receiptTimeoutMs", Number.NaN],
    ["receiptTimeoutMs", 0],
    ["receiptTimeoutMs", -1],
    ["gasHeadroomPercent", Number.NaN],
    ["gasHeadroomPercent", -50],
    ["maxAttempts", Number.NaN],
    ["receiptPollMs", Number.NaN],
    ["gasPrice", -1n],
    ["maxGasPrice", -1n],
  ])("tx.%s = %s → InvalidTxOption when connecting, nothing sent", async (option, value) => {
    const nonce = await devnet.provider.getTransactionCount(user.address)
    const err = await failure(
      createLedgerClient({
        privateKey: user.privateKey,
        rpcUrl: devnet.rpcUrl,
        tx: { [option]: value } as TxEngineOptions,
      }),
    )
    expect(err).toMatchObject({ _tag: "InvalidTxOption", option, value: String(value) })
    expect(await devnet.provider.getTransactionCount(user.address)).toBe(nonce)
  })

  it("speedUp / cancel with a bump, wait with a timeout that is no usable number → InvalidTxOption; the pending transaction is untouched and lands", async () => {
    const rt = stackVia(devnet.rpcUrl, 4, { receiptTimeoutMs: 200 })
    await devnet.rpc("evm_setAutomine", [false])
    try {
      const stuck = await rt.fail(TxEngine.use((t) => t.send({ to: user.address, data: "0x", value: 1n })))
      expect(stuck._tag).toBe("TransactionTimeout")
      const hash = (stuck as { hash: string }).hash
      for (const bumpPercent of [Number.NaN, Number.NEGATIVE_INFINITY]) {
        expect(await rt.fail(TxEngine.use((t) => t.speedUp(hash, { bumpPercent })))).toMatchObject({
          _tag: "InvalidTxOption",
          option: "bumpPercent",
        })
        expect(await rt.fail(TxEngine.use((t) => t.cancel(hash, { bumpPercent })))).toMatchObject({
          _tag: "InvalidTxOption",
        })
      }
      for (const timeoutMs of [Number.NaN, 0, -1]) {
        expect(await rt.fail(TxEngine.use((t) => t.wait(hash, { timeoutMs })))).toMatchObject({
          _tag: "InvalidTxOption",
          option: "timeoutMs",
        })
      }
      await devnet.rpc("evm_setAutomine", [true])
      await devnet.rpc("evm_mine")
      expect((await rt.run(TxEngine.use((t) => t.wait(hash)))).hash).toBe(hash)
    } finally {
      await devnet.rpc("evm_setAutomine", [true])
    }
  })
})
