/**
 * Test fixture for the engine's fault tests: one devnet per test file with the devnet's RPC fault proxy in front of
 * it, evm_snapshot isolation and no fault left over between tests. Call `useFaultChain()` at the top of a test file;
 * it registers the hooks through devnet.ts's `useFixture` and returns the handle (devnet and proxy are set once
 * `beforeAll` has run).
 * Not exported from the package entry.
 */
import { toQuantity } from "ethers"
import { type RpcFaultProxy, startRpcFaultProxy } from "../../../devnet/src/faults/index.js"
import { Ledger } from "../ledger/service.js"
import type { TxEngineOptions } from "../tx/engine.js"
import { markMoney } from "./conservation.js"
import { type Devnet, devAccount, E, stackVia, startDevnet, useFixture } from "./devnet.js"
import { moneyState } from "./ledger-state.js"

export interface FaultChainOptions {
  /** Turn automine back on after each test (for tests that switch it off). Default true. */
  readonly resetAutomine?: boolean
}

export const deposit = (amount: bigint) => Ledger.use((l) => l.deposit(amount))

export const useFaultChain = (options: FaultChainOptions = {}) => {
  // Every test starts and ends with no fault set, automine on (unless a test file opts out) and the chain reverted.
  const chain = useFixture(async () => {
    const devnet = await startDevnet()
    const proxy = await startRpcFaultProxy({ upstream: devnet.rpcUrl }).catch(async (e: unknown) => {
      await devnet.stop()
      throw e
    })
    return {
      devnet,
      proxy,
      snapshot: async () => {
        proxy.setFault(undefined)
        await devnet.snapshot()
      },
      restore: async () => {
        proxy.setFault(undefined)
        if (options.resetAutomine !== false) await devnet.rpc("evm_setAutomine", [true])
        await devnet.restore()
      },
      stop: async () => {
        await proxy.close()
        await devnet.stop()
      },
    }
  })
  const net = {
    get devnet(): Devnet {
      return chain.devnet
    },
    get proxy(): RpcFaultProxy {
      return chain.proxy
    },
    ledgerTotal: async (user: string) => (await moneyState(net.devnet, user, [])).ledger?.total ?? 0n,
    sends: () => net.proxy.calls("eth_sendRawTransaction"),
    /** Dev account `i` funded, a ledger with 3 0G over the proxy, then the marks every fault test compares against. */
    prepared: async (i: number, engine: TxEngineOptions = {}) => {
      const me = devAccount(i).address
      await net.devnet.rpc("anvil_setBalance", [me, toQuantity(E(100))]) // accounts past the 10 anvil funds
      const rt = stackVia(net.proxy.url, i, engine)
      await rt.run(Ledger.use((l) => l.add(E(3))))
      return { me, rt, mark: await markMoney(net.devnet, me), ledger: await net.ledgerTotal(me), sent: net.sends() }
    },
  }
  return net
}
