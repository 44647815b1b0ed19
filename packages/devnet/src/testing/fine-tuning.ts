/**
 * The fine-tuning tests' devnet: chain and contracts, optionally the storage devnet, and the emulated fine-tuning
 * provider (the devnet's account #3) with test timings — no training delay, fast settlement polling, small chunks.
 */
import { JsonRpcProvider, parseEther, Wallet } from "ethers"
import { type Devnet, startDevnet } from "../devnet.js"
import {
  type FineTuningProvider,
  type FineTuningProviderOptions,
  startFineTuningProvider,
} from "../fine-tuning/index.js"
import { type StorageDevnet, startStorageDevnet } from "../storage/index.js"

/** The training parameters the tests' tasks use (a small run with the broker's usual fields). */
export const TRAINING_PARAMS = {
  neftune_noise_alpha: 5,
  num_train_epochs: 2,
  per_device_train_batch_size: 2,
  learning_rate: 0.0002,
  max_steps: -1,
}

/** The model file's chunk size the test provider encrypts with (small, so a test model has several chunks). */
export const TEST_CHUNK_SIZE = 256

export type FineTuningTestOptions = Partial<
  Omit<FineTuningProviderOptions, "rpcUrl" | "addresses" | "accounts" | "storage">
>

export interface FineTuningDevnet {
  readonly devnet: Devnet
  readonly ft: FineTuningProvider
  readonly storage: StorageDevnet | undefined
  /** Where the provider (and a client) reach storage, with fast polling; undefined without storage. */
  readonly storageOptions: { indexerUrl: string; flowAddress: string; pollIntervalMs: number } | undefined
  /** No read cache: a read right after a mined transaction sees it. */
  readonly rpc: JsonRpcProvider
  /** A new random wallet (not connected) whose balance is set to `amount` (100 0G by default). */
  readonly fundedWallet: (amount?: bigint) => Promise<Wallet>
  /** Stops what started, last first. */
  readonly stop: () => Promise<void>
}

/** Starts it all; whatever started is stopped again if a later part fails to start. */
export const startFineTuningDevnet = async (
  options: FineTuningTestOptions = {},
  withStorage = false,
): Promise<FineTuningDevnet> => {
  const stops: Array<() => Promise<void>> = []
  // Every part stops even when an earlier stop throws (a leaked anvil outlives the run); the first failure is rethrown.
  const stop = async () => {
    const failures: unknown[] = []
    for (const s of stops.splice(0).reverse()) await s().catch((e: unknown) => failures.push(e))
    if (failures.length > 0) throw failures[0]
  }
  try {
    const devnet = await startDevnet()
    stops.push(() => devnet.stop())
    const storage = withStorage ? await startStorageDevnet({ rpcUrl: devnet.rpcUrl }) : undefined
    if (storage !== undefined) stops.push(() => storage.stop())
    const storageOptions =
      storage === undefined
        ? undefined
        : { indexerUrl: storage.indexerUrl, flowAddress: storage.flowAddress, pollIntervalMs: 20 }
    const ft = await startFineTuningProvider({
      ...(storageOptions === undefined ? {} : { storage: storageOptions }),
      rpcUrl: devnet.rpcUrl,
      addresses: devnet.addresses,
      accounts: devnet.accounts,
      stepDelayMs: 0,
      settlementPollMs: 20,
      chunkSize: TEST_CHUNK_SIZE,
      ...options,
    })
    stops.push(() => ft.stop())
    const rpc = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 })
    stops.push(async () => rpc.destroy())
    const fundedWallet = async (amount = parseEther("100")) => {
      const wallet = new Wallet(Wallet.createRandom().privateKey)
      await rpc.send("anvil_setBalance", [wallet.address, `0x${amount.toString(16)}`])
      return wallet
    }
    return { devnet, ft, storage, storageOptions, rpc, fundedWallet, stop }
  } catch (e) {
    await stop()
    throw e
  }
}
