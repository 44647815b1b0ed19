/**
 * Test fixture: a real devnet (anvil + contracts) with the emulated fine-tuning provider on real HTTP (the devnet side
 * is @0g-compute/devnet/testing's startFineTuningDevnet), and fine-tuning clients for fresh funded users. Each test
 * file starts its own.
 */
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { contractInterfaces, FineTuningServingEventTopics, LedgerClient } from "@0g-compute/contracts"
import { useStarted } from "@0g-compute/core/testing/hooks"
import { type Devnet, devnetAccounts } from "@0g-compute/devnet"
import type { FineTuningProvider } from "@0g-compute/devnet/fine-tuning"
import type { StorageDevnet } from "@0g-compute/devnet/storage"
import {
  type FineTuningTestOptions,
  startFineTuningDevnet,
  TEST_CHUNK_SIZE,
  TRAINING_PARAMS,
} from "@0g-compute/devnet/testing"
import { Redacted } from "effect"
import type { JsonRpcProvider, Wallet } from "ethers"
import type { CreateTaskOptions } from "../index.js"
import { createFineTuningClient, type FineTuningClient, type FineTuningClientOptions } from "../node/index.js"

export const CHUNK_SIZE = TEST_CHUNK_SIZE
/** The emulated provider's wallet: the devnet's fixed fine-tuning provider account (#3). */
export const PROVIDER = devnetAccounts().fineTuningProvider.address
export const PARAMS = TRAINING_PARAMS

/** A task on the emulator's `mock-model` with PARAMS over `datasetHash`, as provider #3's users create it. */
export const mockTask = (datasetHash: string, more: Partial<CreateTaskOptions> = {}): CreateTaskOptions => ({
  provider: PROVIDER,
  model: "mock-model",
  datasetHash,
  trainingParams: PARAMS,
  ...more,
})

export const DATASET_LINES = [
  {
    messages: [
      { role: "user", content: "What is the capital of France?" },
      { role: "assistant", content: "Paris." },
    ],
  },
  { text: "the cat sat on the mat while the dog slept" },
  { instruction: "Translate to French", input: "thank you", output: "merci" },
  { text: "there is no place like home, said the girl in the red shoes" },
]
export const DATASET = `${DATASET_LINES.map((l) => JSON.stringify(l)).join("\n")}\n`

export interface User {
  readonly wallet: Wallet
  readonly key: Redacted.Redacted<string>
  readonly client: FineTuningClient
}

export interface Harness {
  readonly devnet: Devnet
  readonly ft: FineTuningProvider
  readonly dir: string
  readonly rpc: JsonRpcProvider
  readonly storage: StorageDevnet | undefined
  /** A new random user with 100 0G in the wallet and a 20 0G ledger (`ledger: false`: no ledger). */
  readonly user: (options?: { readonly ledger?: boolean }) => Promise<User>
  /**
   * A new user who acknowledged the provider, uploaded dataset file `name` and created a `mock-model` task on it;
   * with `delivered`, after the task reached Delivered.
   */
  readonly userWithTask: (
    name: string,
    options?: { readonly delivered?: boolean },
  ) => Promise<{ readonly user: User; readonly taskId: string }>
  /** Another client for `key` with the harness's settings, changed by `more` (e.g. a proxying `fetch`). */
  readonly client: (
    key: Redacted.Redacted<string>,
    more?: Partial<FineTuningClientOptions>,
  ) => Promise<FineTuningClient>
  /** Writes a dataset file and returns its path. */
  readonly datasetFile: (name: string, text?: string) => Promise<string>
  readonly files: (sub?: string) => Promise<ReadonlyArray<string>>
  readonly stop: () => Promise<void>
}

export const startHarness = async (options: FineTuningTestOptions = {}, withStorage = false): Promise<Harness> => {
  const base = await startFineTuningDevnet(options, withStorage)
  const { devnet, ft, rpc, storage, storageOptions } = base
  const dir = await mkdtemp(join(tmpdir(), "zg-ft-test-"))
  const clients: Array<{ close: () => Promise<void> }> = []
  const client = async (key: Redacted.Redacted<string>, more: Partial<FineTuningClientOptions> = {}) => {
    const made = await createFineTuningClient({
      privateKey: key,
      rpcUrl: devnet.rpcUrl,
      contracts: devnet.addresses,
      pollIntervalMs: 10,
      maxPollIntervalMs: 100,
      chunkSize: CHUNK_SIZE,
      ...(storageOptions === undefined ? {} : { storage: storageOptions }),
      ...more,
    })
    clients.push(made)
    return made
  }
  const user = async (o: { readonly ledger?: boolean } = {}): Promise<User> => {
    const wallet = await base.fundedWallet()
    const key = Redacted.make(wallet.privateKey)
    if (o.ledger !== false) {
      const ledger = await LedgerClient.connect({ privateKey: key, rpcUrl: devnet.rpcUrl, contracts: devnet.addresses })
      await ledger.add("20")
      await ledger.close()
    }
    return { wallet, key, client: await client(key) }
  }
  const datasetFile = async (name: string, text = DATASET) => {
    const path = join(dir, name)
    await writeFile(path, text)
    return path
  }
  const userWithTask = async (name: string, o: { readonly delivered?: boolean } = {}) => {
    const u = await user()
    await u.client.acknowledgeProvider(PROVIDER, { allowDevnet: true })
    const { datasetHash, tokens } = await u.client.uploadDataset(PROVIDER, await datasetFile(name))
    const { taskId } = await u.client.createTask(mockTask(datasetHash, { tokens }))
    if (o.delivered === true) await u.client.watch(PROVIDER, taskId)
    return { user: u, taskId }
  }
  return {
    devnet,
    ft,
    dir,
    rpc,
    storage,
    user,
    userWithTask,
    client,
    datasetFile,
    files: async (sub) => (await readdir(sub === undefined ? dir : join(dir, sub))).sort(),
    stop: async () => {
      await Promise.all(clients.map((c) => c.close()))
      await base.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Starts a harness before the tests of the enclosing file or `describe` and stops it after them. The returned object
 * reads through to the started harness, so tests capture it once instead of assigning a `let` in their own hooks.
 */
export const useHarness = (...args: Parameters<typeof startHarness>): Harness =>
  useStarted(async (onStop) => {
    const h = await startHarness(...args)
    onStop(() => h.stop())
    if (h.ft.address !== PROVIDER) throw new Error(`provider ${h.ft.address} is not account #3`)
    return h
  })

export { failure } from "@0g-compute/core/testing"

/** FeesSettled events of a user, decoded: [deliverableId, fee, acknowledged]. */
export const feesSettled = async (h: Harness, user: string) => {
  const iface = contractInterfaces.FineTuningServing
  const logs = await h.rpc.getLogs({
    address: h.devnet.addresses.fineTuning,
    topics: [FineTuningServingEventTopics.FeesSettled, `0x${user.slice(2).toLowerCase().padStart(64, "0")}`],
    fromBlock: 0,
  })
  return logs.map((l) => {
    const e = iface.parseLog(l)
    return [
      String(e?.args.getValue("deliverableId")),
      BigInt(e?.args.getValue("fee")),
      Boolean(e?.args.getValue("acknowledged")),
    ] as const
  })
}
