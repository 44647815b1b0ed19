/**
 * The package's one chain-test fixture (src/ and test/): one anvil with our contracts per test file, evm_snapshot
 * isolation, and layers built per test (a fresh provider per test also means a fresh nonce slot after evm_revert).
 * Call `useDevnet()` (or `useFixture(start)` for a richer environment) at the top of a test file.
 * Not exported from the package entry.
 */
import { chainLayerFromRpc, makeRpcProvider, walletLayerFromPrivateKey } from "@0g-compute/core"
import { lateBound } from "@0g-compute/core/testing"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { HDNodeWallet, type JsonRpcProvider, Mnemonic, parseEther } from "ethers"
import { afterAll, afterEach, beforeAll, beforeEach, onTestFinished } from "vitest"
import { Ledger } from "../ledger/service.js"
import {
  type AnvilInstance,
  type DeployedContracts,
  deployContracts,
  startAnvil,
  TEST_MNEMONIC,
} from "../node/index.js"
import { TxEngine, type TxEngineOptions } from "../tx/engine.js"

export const E = (n: string | number): bigint => parseEther(String(n))

/** Dev account #i of the standard mnemonic. */
export const devAccount = (i: number) => {
  const w = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(TEST_MNEMONIC), `m/44'/60'/0'/0/${i}`)
  return { address: w.address, privateKey: w.privateKey }
}

export interface Devnet {
  readonly anvil: AnvilInstance
  readonly rpcUrl: string
  readonly provider: JsonRpcProvider
  readonly addrs: DeployedContracts
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>
  snapshot(): Promise<void>
  restore(): Promise<void>
  stop(): Promise<void>
}

export const startDevnet = async (): Promise<Devnet> => {
  const anvil = await startAnvil()
  try {
    const addrs = await deployContracts({ rpcUrl: anvil.rpcUrl })
    const provider = makeRpcProvider(anvil.rpcUrl, BigInt(anvil.chainId)) // uncached: reads see the latest state
    const rpc = <T>(method: string, params: unknown[] = []) => provider.send(method, params) as Promise<T>
    let snap: string | undefined
    return {
      anvil,
      rpcUrl: anvil.rpcUrl,
      provider,
      addrs,
      rpc,
      snapshot: async () => {
        snap = await rpc<string>("evm_snapshot")
      },
      restore: async () => {
        if (snap === undefined) return
        const ok = await rpc<boolean>("evm_revert", [snap])
        snap = undefined
        if (!ok) throw new Error("evm_revert failed")
      },
      stop: async () => {
        provider.destroy()
        await anvil.stop()
      },
    }
  } catch (e) {
    await anvil.stop()
    throw e
  }
}

interface Isolated {
  snapshot(): Promise<void>
  restore(): Promise<void>
  stop(): Promise<void>
}

/**
 * Registers the file's hooks: `start` once before all tests, a snapshot before and a revert after each test, `stop`
 * after all. The returned handle is usable inside tests (it throws if read before `beforeAll` has run).
 */
export const useFixture = <T extends Isolated>(start: () => Promise<T>): T => {
  let current: T | undefined
  const get = (): T => {
    if (current === undefined) throw new Error("test fixture: not started yet (use it inside a test)")
    return current
  }
  beforeAll(async () => {
    current = await start()
  })
  afterAll(async () => {
    await current?.stop()
  })
  beforeEach(() => get().snapshot())
  afterEach(() => get().restore())
  return lateBound(get)
}

/** One devnet for this test file, reverted after each test. */
export const useDevnet = (): Devnet => useFixture(startDevnet)

/** Chain + Wallet for dev account `i` over the RPC at `url`, on a fresh provider. */
const baseLayerVia = (url: string, i: number) =>
  Layer.provideMerge(
    walletLayerFromPrivateKey(Redacted.make(devAccount(i).privateKey)),
    chainLayerFromRpc(url, { network: "devnet" }),
  )

/** Chain + Wallet for dev account `i` on a fresh provider. */
export const baseLayer = (devnet: Devnet, i: number) => baseLayerVia(devnet.rpcUrl, i)

/** A runtime over a layer, with helpers that return the success or the typed failure. Make it inside a test. */
export const runtimeOf = <R, E>(layer: Layer.Layer<R, E, never>) => {
  const rt = ManagedRuntime.make(layer)
  let disposed: Promise<void> | undefined
  const dispose = () => {
    disposed ??= rt.dispose()
    return disposed
  }
  // the test that made it disposes it when it ends, pass or fail (so no try/finally per test)
  onTestFinished(dispose)
  return {
    run: <A, E2>(eff: Effect.Effect<A, E2, R>) => rt.runPromise(eff),
    /** The typed failure of `eff`; rejects if it succeeds or dies. */
    fail: <A, E2>(eff: Effect.Effect<A, E2, R>): Promise<E2> => rt.runPromise(Effect.flip(eff)),
    /** Ends it before the test does (a crashed process); later calls are no-ops. */
    dispose,
  }
}

/** Ledger + TxEngine (+ Chain, Wallet) for dev account `i` over the RPC at `url` (e.g. a fault proxy). */
export const stackVia = (url: string, i: number, options: TxEngineOptions = {}) => {
  const tx = Layer.provideMerge(TxEngine.layer({ receiptPollMs: 50, ...options }), baseLayerVia(url, i))
  return runtimeOf(Layer.provideMerge(Ledger.layer, tx))
}
