/**
 * A wallet that broadcasts itself (no hash to ask about) behind an RPC whose backends disagree: the wallet's send
 * answered "nonce too low" after the node took it, and the count read next comes from a backend that has not seen it
 * yet. The nonce then only looks free; the engine may try it again but never signs at the next one.
 */
import { toQuantity } from "ethers"
import { describe, expect, it } from "vitest"
import { Ledger } from "../ledger/service.js"
import { broadcastOnlyStack } from "../testing/broadcast-only-signer.js"
import { conservationGap, markMoney, minedSince } from "../testing/conservation.js"
import { devAccount, E } from "../testing/devnet.js"
import { useFaultChain } from "../testing/fault-chain.js"
import { moneyState } from "../testing/ledger-state.js"

const net = useFaultChain()

describe("a broadcasting wallet behind a lagging backend", () => {
  it("'nonce too low' after forwarding, the pending count still at our nonce → no deposit at the next nonce; the re-run finds the one that landed", async () => {
    const i = 32
    const me = devAccount(i).address
    await net.devnet.rpc("anvil_setBalance", [me, toQuantity(E(100))])
    const { rt } = broadcastOnlyStack(net.proxy.url, i)
    await rt.run(Ledger.use((l) => l.add(E(3))))
    const mark = await markMoney(net.devnet, me)
    const before = (await moneyState(net.devnet, me, [])).ledger?.total ?? 0n
    const nonce = await net.devnet.provider.getTransactionCount(me, "latest")
    net.proxy.setFault([
      { fault: { kind: "nonce-too-low-after-forwarding" }, times: 1 },
      { fault: { kind: "answer", result: toQuantity(nonce) }, methods: ["eth_getTransactionCount"], times: 1 },
    ])
    const err = await rt.fail(Ledger.use((l) => l.deposit(E(1))))
    expect(err).toMatchObject({ _tag: "TransactionOutcomeUnknown", nonce })
    expect((await moneyState(net.devnet, me, [])).ledger?.total).toBe(before + E(1))
    const landed = (await minedSince(net.devnet, me, mark.block)).hashes
    expect(landed).toHaveLength(1)
    const again = await rt.run(Ledger.use((l) => l.deposit(E(1))))
    expect(again).toMatchObject({ hash: landed[0], resumed: true })
    expect(await conservationGap(net.devnet, me, mark)).toBe(0n)
  })
})
