/**
 * Test fixture for the engine's fault tests: one devnet per test file with the devnet's RPC fault proxy in front of
 * it, evm_snapshot isolation and no fault left over between tests. Call `useFaultChain()` at the top of a test file;
 * it registers the hooks and returns the handle (devnet and proxy are set once `beforeAll` has run).
 * Not exported from the package entry.
 */
import { toQuantity } from "ethers"
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest"
import { type RpcFaultProxy, startRpcFaultProxy } from "../../../devnet/src/faults/index.js"
import { Ledger } from "../ledger/service.js"
import type { TxEngineOptions } from "../tx/engine.js"
import { markMoney } from "./conservation.js"
import { type Devnet, devAccount, E, stackVia, startDevnet } from "./devnet.js"
import { moneyState } from "./ledger-state.js"

export interface FaultChainOptions {
  /** Turn automine back on after each test (for tests that switch it off). Default true. */
  readonly resetAutomine?: boolean
}

export const deposit = (amount: bigint) => Ledger.use((l) => l.deposit(amount))

export const useFaultChain = (options: FaultChainOptions = {}) => {
  let devnet: Devnet | undefined
  let proxy: RpcFaultProxy | undefined
  const net = {
    get devnet(): Devnet {
      if (devnet === undefined) throw new Error("useFaultChain: the devnet is not started yet (use it inside a test)")
      return devnet
    },
    get proxy(): RpcFaultProxy {
      if (proxy === undefined) throw new Error("useFaultChain: the proxy is not started yet (use it inside a test)")
      return proxy
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
  beforeAll(async () => {
    devnet = await startDevnet()
    proxy = await startRpcFaultProxy({ upstream: devnet.rpcUrl })
  })
  afterAll(async () => {
    await proxy?.close()
    await devnet?.stop()
  })
  beforeEach(async () => {
    net.proxy.setFault(undefined)
    await net.devnet.snapshot()
  })
  afterEach(async () => {
    net.proxy.setFault(undefined)
    if (options.resetAutomine !== false) await net.devnet.rpc("evm_setAutomine", [true])
    await net.devnet.restore()
  })
  return net
}
