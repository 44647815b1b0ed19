/** The storage tests' chain: one anvil with the storage devnet (Flow, market, nodes, indexer) on it. */
import { type AnvilInstance, startAnvil } from "@0g-compute/contracts/node"
import { JsonRpcProvider } from "ethers"
import { type StorageDevnet, type StorageDevnetOptions, startStorageDevnet } from "../storage/index.js"

export interface StorageChain {
  readonly anvil: AnvilInstance
  readonly devnet: StorageDevnet
  /** No read cache: a balance or nonce read right after a mined transaction sees it. */
  readonly provider: JsonRpcProvider
  readonly stop: () => Promise<void>
}

/** Starts anvil, then the storage devnet on it; stops anvil again if the devnet fails to start. */
export const startStorageChain = async (options: Omit<StorageDevnetOptions, "rpcUrl"> = {}): Promise<StorageChain> => {
  const anvil = await startAnvil()
  try {
    const devnet = await startStorageDevnet({ ...options, rpcUrl: anvil.rpcUrl })
    const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { cacheTimeout: -1 })
    provider.pollingInterval = 20
    return {
      anvil,
      devnet,
      provider,
      // anvil stops even when the devnet's stop throws: a leaked anvil outlives the test run.
      stop: async () => {
        try {
          await devnet.stop()
        } finally {
          provider.destroy()
          await anvil.stop()
        }
      },
    }
  } catch (e) {
    await anvil.stop()
    throw e
  }
}
