/**
 * A pending deposit replaced outside the engine (a wallet app's own "speed up", another tool with the same key): the
 * same call at the same nonce, signed again at higher fees, is what got mined. The intent was done; the engine must
 * report that transaction, not "nonce used by another" (which lets the next run pay a second time).
 */
import { toQuantity, Wallet } from "ethers"
import { describe, expect, it } from "vitest"
import type { TransactionTimeout } from "../errors.js"
import { memoryTxJournal } from "../journal.js"
import { conservationGap, minedSince } from "../testing/conservation.js"
import { devAccount, E, stackVia } from "../testing/devnet.js"
import { deposit, useFaultChain } from "../testing/fault-chain.js"
import { bumpFees } from "./fees.js"

const net = useFaultChain()
const { ledgerTotal, prepared } = net

describe("a deposit replaced outside the engine", () => {
  it.each([
    [0, "at once"],
    [150, "past the blocks always asked"],
  ])(
    "the same call re-signed at the same nonce with higher fees and mined, re-run %s blocks later (%s) → it is reported (resumed), one deposit",
    async (blocks) => {
      const journal = memoryTxJournal()
      const p = await prepared(6, { receiptTimeoutMs: 300, journal })
      await net.devnet.rpc("evm_setAutomine", [false])
      const timedOut = (await p.rt.fail(deposit(E(1)))) as TransactionTimeout
      expect(timedOut._tag).toBe("TransactionTimeout")
      const ours = await net.devnet.provider.getTransaction(timedOut.hash)
      if (ours === null) throw new Error("the deposit is not in the pool")
      // The wallet app's speed-up: same to, value and calldata, same nonce, fees raised by 20 %.
      const fees = bumpFees(
        { type: 2, maxFeePerGas: ours.maxFeePerGas ?? 0n, maxPriorityFeePerGas: ours.maxPriorityFeePerGas ?? 0n },
        20,
      )
      const outside = new Wallet(devAccount(6).privateKey, net.devnet.provider)
      const replacement = await outside.signTransaction({
        to: ours.to,
        data: ours.data,
        value: ours.value,
        nonce: ours.nonce,
        gasLimit: ours.gasLimit,
        chainId: ours.chainId,
        type: 2,
        maxFeePerGas: fees.type === 2 ? fees.maxFeePerGas : 0n,
        maxPriorityFeePerGas: fees.type === 2 ? fees.maxPriorityFeePerGas : 0n,
      })
      const replaced = await net.devnet.rpc<string>("eth_sendRawTransaction", [replacement])
      await net.devnet.rpc("evm_setAutomine", [true])
      await net.devnet.rpc("evm_mine")
      expect(await net.devnet.provider.getTransaction(timedOut.hash)).toBeNull()
      if (blocks > 0) await net.devnet.rpc("anvil_mine", [toQuantity(blocks)])

      const rerun = stackVia(net.proxy.url, 6, { journal })
      const again = await rerun.run(deposit(E(1)))
      expect(again).toMatchObject({ hash: replaced, resumed: true })
      expect(await ledgerTotal(p.me)).toBe(p.ledger + E(1))
      expect((await minedSince(net.devnet, p.me, p.mark.block)).hashes).toEqual([replaced])
      expect(await conservationGap(net.devnet, p.me, p.mark)).toBe(0n)
    },
  )
})
