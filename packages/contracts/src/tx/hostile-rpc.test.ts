/**
 * A lying or lagging RPC in front of anvil (the devnet's fault proxy): a receipt that belongs to another transaction,
 * and a backend that has not seen our mined deposit while another one already counts its nonce. Neither may make the
 * engine report a wrong outcome or sign a second transaction for one deposit; money conserved to the neuron.
 */

import { failure } from "@0g-compute/core/testing"
import { Transaction, toQuantity } from "ethers"
import { describe, expect, it, vi } from "vitest"
import { contractInterfaces } from "../clients.js"
import { createLedgerClient } from "../ledger/facade.js"
import { conservationGap, minedSince } from "../testing/conservation.js"
import { devAccount, E } from "../testing/devnet.js"
import { deposit, useFaultChain } from "../testing/fault-chain.js"

const net = useFaultChain()
const { ledgerTotal, sends, prepared } = net

/** Exactly one deposit of 1 0G, by transaction `hash`, and no neuron created or lost. */
const expectOneDeposit = async (p: Awaited<ReturnType<typeof prepared>>, hash: string) => {
  expect(await ledgerTotal(p.me)).toBe(p.ledger + E(1))
  expect((await minedSince(net.devnet, p.me, p.mark.block)).hashes).toEqual([hash])
  expect(await conservationGap(net.devnet, p.me, p.mark)).toBe(0n)
}

/** The node's JSON receipt of a reverted transaction of another account (a refund without a ledger). */
const foreignRevertedReceipt = async () => {
  const other = devAccount(8).address // one of the accounts anvil signs for
  await net.devnet.rpc("anvil_setBalance", [other, toQuantity(E(1))])
  const data = contractInterfaces.LedgerManager.encodeFunctionData("refund", [1n])
  const hash = await net.devnet.rpc<string>("eth_sendTransaction", [
    { from: other, to: net.devnet.addrs.ledger, data, gas: toQuantity(200_000n) },
  ])
  const receipt = await net.devnet.rpc<{ status: string; transactionHash: string }>("eth_getTransactionReceipt", [hash])
  expect(receipt.status).toBe("0x0")
  return receipt
}

describe("an RPC that lies about receipts", () => {
  it("a receipt of another (reverted) transaction for our pending deposit → ignored; our deposit is reported once mined", async () => {
    const p = await prepared(3)
    const foreign = await foreignRevertedReceipt()
    await net.devnet.rpc("evm_setAutomine", [false])
    net.proxy.setFault({ fault: { kind: "answer", result: foreign }, methods: ["eth_getTransactionReceipt"] })
    const lied = net.proxy.calls("eth_getTransactionReceipt")
    const run = p.rt.run(deposit(E(1)))
    const settled = run.then(
      () => "settled",
      () => "settled",
    )
    const lies = vi.waitFor(() => expect(net.proxy.calls("eth_getTransactionReceipt")).toBeGreaterThan(lied + 3), {
      timeout: 20_000,
      interval: 20,
    })
    // Before the fix the foreign receipt was taken as ours: TransactionReverted, the intent resolved as reverted.
    expect(await Promise.race([settled, lies.then(() => "still waiting")])).toBe("still waiting")
    net.proxy.setFault(undefined)
    await net.devnet.rpc("evm_setAutomine", [true])
    await net.devnet.rpc("evm_mine")
    const r = await run
    expect(r.hash).not.toBe(foreign.transactionHash)
    await expectOneDeposit(p, r.hash)
    expect(sends() - p.sent).toBe(1)
  })
})

describe("a lagging backend behind the RPC", () => {
  it("'nonce too low' after forwarding, the count past our nonce, our receipt and transaction not seen yet → no second signature; one deposit", async () => {
    const p = await prepared(4)
    const nonce = await net.devnet.provider.getTransactionCount(p.me, "latest")
    net.proxy.setFault([
      { fault: { kind: "nonce-too-low-after-forwarding" }, times: 1 },
      // The backend asked for the count is ahead (it mined the deposit); the one asked for ours is behind.
      { fault: { kind: "answer", result: toQuantity(nonce + 1) }, methods: ["eth_getTransactionCount"], times: 1 },
      { fault: { kind: "answer", result: null }, methods: ["eth_getTransactionReceipt"], times: 1 },
      { fault: { kind: "answer", result: null }, methods: ["eth_getTransactionByHash"], times: 1 },
    ])
    const r = await p.rt.run(deposit(E(1)))
    await expectOneDeposit(p, r.hash)
    // Whatever was resent were the same signed bytes: nothing was signed at another nonce.
    const signed = new Set(
      net.proxy
        .rawTransactions()
        .slice(p.sent)
        .map((raw) => Transaction.from(raw).hash),
    )
    expect([...signed]).toEqual([r.hash])
  })
})

describe("an RPC that lies about the chain", () => {
  it.each([["zzz"], [null], [{ chainId: 31337 }]])(
    "eth_chainId answered %j → the connection fails with RpcError, not a crash",
    async (result) => {
      net.proxy.setFault({ fault: { kind: "answer", result }, methods: ["eth_chainId"] })
      const err = await failure(
        createLedgerClient({ rpcUrl: net.proxy.url, network: "devnet", privateKey: devAccount(5).privateKey }),
      )
      expect(err).toMatchObject({ _tag: "RpcError", method: "eth_chainId" })
    },
  )
})
