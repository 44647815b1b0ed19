import { JsonRpcProvider, Network, Wallet } from "ethers"
import { describe, expect, it } from "vitest"
import { devAccount, useDevnet } from "../testing/devnet.js"
import { minedReceipt, waitForReceipt } from "./receipts.js"

const devnet = useDevnet()

describe("waitForReceipt", () => {
  it("sees a transaction mined after its first lookup even when no later block ever comes", async () => {
    await devnet.rpc("evm_setAutomine", [false])
    try {
      const provider = new JsonRpcProvider(devnet.rpcUrl, Network.from(31337), { staticNetwork: true })
      const wallet = new Wallet(devAccount(3).privateKey, provider)
      const sent = await wallet.sendTransaction({ to: wallet.address, value: 1n })
      expect(await provider.getTransactionReceipt(sent.hash)).toBeNull()
      const waiting = waitForReceipt(provider, sent.hash)
      await devnet.rpc("evm_mine")
      const receipt = await waiting
      expect([receipt.hash, receipt.status]).toEqual([sent.hash, 1])
      provider.destroy()
    } finally {
      await devnet.rpc("evm_setAutomine", [true])
    }
  })

  it("gives up with the hash after its deadline when the transaction is never mined", async () => {
    await devnet.rpc("evm_setAutomine", [false])
    try {
      const wallet = new Wallet(devAccount(3).privateKey, devnet.provider)
      const sent = await wallet.sendTransaction({ to: wallet.address, value: 1n })
      await expect(waitForReceipt(devnet.provider, sent.hash, { timeoutMs: 100 })).rejects.toThrow(sent.hash)
    } finally {
      await devnet.rpc("evm_setAutomine", [true])
    }
  })

  it("minedReceipt refuses a reverted transaction, naming it", async () => {
    const wallet = new Wallet(devAccount(3).privateKey, devnet.provider)
    // A call into the ledger with garbage calldata reverts; a fixed gas limit skips the estimate that would refuse it.
    const sent = wallet.sendTransaction({ to: devnet.addrs.ledger, data: "0xdeadbeef", gasLimit: 100_000n })
    await expect(minedReceipt(sent, "garbage call")).rejects.toThrow(/garbage call 0x[0-9a-f]{64} reverted/)
  })
})
