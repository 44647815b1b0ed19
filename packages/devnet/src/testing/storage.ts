/**
 * Test support (not built): the storage tests' chain. One anvil per test file with the storage devnet (Flow, market,
 * nodes, indexer) on it and a provider without a read cache; call `useStorageChain()` inside the file's describe.
 */
import { type AnvilInstance, startAnvil } from "@0g-compute/contracts/node"
import { JsonRpcProvider } from "ethers"
import { afterAll, beforeAll } from "vitest"
import { type StorageDevnet, type StorageDevnetOptions, startStorageDevnet } from "../storage/index.js"

interface StorageChain {
  readonly anvil: AnvilInstance
  readonly devnet: StorageDevnet
  readonly provider: JsonRpcProvider
}

/** Registers the file's start and stop hooks; the handle's fields are set once `beforeAll` has run. */
export const useStorageChain = (options: Omit<StorageDevnetOptions, "rpcUrl"> = {}): StorageChain => {
  let started: StorageChain | undefined
  const get = (): StorageChain => {
    if (started === undefined) throw new Error("useStorageChain: not started yet (use it inside a test or hook)")
    return started
  }
  beforeAll(async () => {
    const anvil = await startAnvil()
    try {
      const devnet = await startStorageDevnet({ ...options, rpcUrl: anvil.rpcUrl })
      // No read cache: a balance or nonce read right after a mined transaction must see it.
      const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { cacheTimeout: -1 })
      provider.pollingInterval = 20
      started = { anvil, devnet, provider }
    } catch (e) {
      await anvil.stop()
      throw e
    }
  })
  afterAll(async () => {
    await started?.devnet.stop()
    started?.provider.destroy()
    await started?.anvil.stop()
  })
  return {
    get anvil() {
      return get().anvil
    },
    get devnet() {
      return get().devnet
    },
    get provider() {
      return get().provider
    },
  }
}
