/**
 * `startDevnet()`: a local 0G compute network on one machine — anvil from npm, our contracts at the official
 * devnet addresses, registered inference and fine-tuning services, funded accounts.
 */

import { deployContracts, loadArtifact, minedReceipt, startAnvil } from "@0g-compute/contracts/node"
import { type ContractAddresses, makeRpcProvider } from "@0g-compute/core"
import { Redacted } from "effect"
import { Contract, NonceManager, parseEther, type TransactionResponse, Wallet } from "ethers"
import { type DevnetAccount, type DevnetAccounts, deriveAccount, devnetAccounts, ROLES } from "./accounts.js"
import {
  type FineTuningProvider,
  type FineTuningProviderOptions,
  startFineTuningProvider,
} from "./fine-tuning/index.js"
import type { BrokerMode } from "./inference/broker2026.js"
import { onChainCeiling } from "./inference/pricing.js"
import { startInferenceProvider } from "./inference/provider.js"
import { DEVNET_INFERENCE_MODEL, DEVNET_PROVIDER_STAKE } from "./inference/register.js"
import { type StatusApi, startStatusApi } from "./inference/status.js"
import type { InferenceProvider, InferenceProviderOptions } from "./inference/types.js"
import { type StorageDevnet, type StorageDevnetOptions, startStorageDevnet } from "./storage/index.js"

export { DEVNET_INFERENCE_MODEL, DEVNET_PROVIDER_STAKE }

export interface DevnetOptions {
  /** Loopback port for the chain; a free one when omitted. */
  readonly port?: number
  /** Extra addresses to fund with `fundAmount` (the mnemonic's accounts are always funded). */
  readonly fund?: ReadonlyArray<string>
  /** Per-account balance in 0G (default 10000). */
  readonly balance?: number
  /** Register the default inference and fine-tuning services (default true). */
  readonly registerServices?: boolean
  /**
   * Emulated inference providers to start and register, each with its own wallet, TEE key and prices (default 1).
   * Provider 0 uses accounts #2 (wallet) and #1 (TEE key); provider i ≥ 1 uses #(8 + 2i) and #(9 + 2i).
   */
  readonly inferenceProviders?: number
  /** Options applied to every emulated inference provider. */
  readonly inference?: DevnetInferenceOptions
  /**
   * Per emulated inference provider (by index): the 2026 broker mode it runs (provider type, rewriting…, see
   * broker2026.ts); `undefined` or a missing entry keeps the late-2025 broker. E.g. `inferenceProviders: 3,
   * inferenceBrokers: [undefined, { providerType: "centralized" }, { providerType: "standard" }]`.
   */
  readonly inferenceBrokers?: ReadonlyArray<BrokerMode | undefined>
  /** 0G Storage: Flow + market contracts, emulated storage nodes and an indexer (default off). */
  readonly storage?: boolean | Omit<StorageDevnetOptions, "rpcUrl">
  /**
   * The emulated fine-tuning provider for the registered FT service (default off). It keeps datasets and models in
   * 0G Storage when `storage` is on, else serves them on its own routes.
   */
  readonly fineTuning?: boolean | DevnetFineTuningOptions
}

export type DevnetFineTuningOptions = Omit<Partial<FineTuningProviderOptions>, "rpcUrl" | "addresses" | "accounts">

export type DevnetInferenceOptions = Pick<
  InferenceProviderOptions,
  "settleIntervalMs" | "upstream" | "upstreamApiKey" | "onEvent" | "billing"
>

export interface RegisteredInferenceService {
  readonly provider: DevnetAccount
  readonly teeSigner: DevnetAccount
  readonly url: string
  readonly model: string
  readonly inputPrice: bigint
  readonly outputPrice: bigint
}

export interface RegisteredFineTuningService {
  readonly provider: DevnetAccount
  readonly teeSigner: DevnetAccount
  readonly url: string
  readonly pricePerToken: bigint
}

export interface DevnetInfo {
  readonly rpcUrl: string
  readonly port: number
  readonly chainId: bigint
  readonly addresses: ContractAddresses
  readonly accounts: DevnetAccounts
  readonly services: {
    readonly inference: ReadonlyArray<RegisteredInferenceService>
    readonly fineTuning: ReadonlyArray<RegisteredFineTuningService>
  }
  /** The devnet's status API (health and model catalogue, as compute-status.0g.ai), when inference providers run. */
  readonly statusApiUrl?: string | undefined
}

export interface Devnet extends DevnetInfo {
  /** The running emulated inference providers, in the order of `services.inference`. */
  readonly inference: ReadonlyArray<InferenceProvider>
  /** The storage devnet, when started. */
  readonly storage: StorageDevnet | undefined
  /** The emulated fine-tuning provider, when started. */
  readonly fineTuning: FineTuningProvider | undefined
  /** Stops the providers, then the chain; idempotent. */
  readonly stop: () => Promise<void>
}

const mined = (tx: Promise<TransactionResponse>) => minedReceipt(tx, "devnet setup transaction")

export const startDevnet = async (options: DevnetOptions = {}): Promise<Devnet> => {
  const providerCount = options.registerServices === false ? 0 : Math.max(0, options.inferenceProviders ?? 1)
  const chainAccounts = ROLES.length + 2 * Math.max(0, providerCount - 1)
  const anvil = await startAnvil({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.balance === undefined ? {} : { balanceEth: options.balance }),
    ...(chainAccounts > ROLES.length ? { accounts: chainAccounts } : {}),
  })
  let inference: ReadonlyArray<InferenceProvider> = []
  let storage: StorageDevnet | undefined
  let fineTuning: FineTuningProvider | undefined
  let status: StatusApi | undefined
  // Stops what was started, newest first; the chain last.
  const stopAll = async () => {
    await status?.stop()
    await fineTuning?.stop()
    await Promise.allSettled([...inference.map((p) => p.stop()), storage?.stop()])
    await anvil.stop()
  }
  try {
    const deployed = await deployContracts({ rpcUrl: anvil.rpcUrl })
    const addresses: ContractAddresses = {
      ledger: deployed.ledger,
      inference: deployed.inference,
      fineTuning: deployed.fineTuning,
    }
    const accounts = devnetAccounts()
    const provider = makeRpcProvider(anvil.rpcUrl, BigInt(anvil.chainId))
    const balanceHex = `0x${parseEther(String(options.balance ?? 10000)).toString(16)}`
    for (const address of options.fund ?? []) await provider.send("anvil_setBalance", [address, balanceHex])

    let services: DevnetInfo["services"] = { inference: [], fineTuning: [] }
    if (options.registerServices !== false) {
      const registered = await registerServices(
        provider,
        anvil.rpcUrl,
        addresses,
        accounts,
        BigInt(anvil.chainId),
        providerCount,
        options.inference,
        options.inferenceBrokers,
      )
      services = registered.services
      inference = registered.providers
    }
    provider.destroy()

    if (options.storage !== undefined && options.storage !== false) {
      storage = await startStorageDevnet({ rpcUrl: anvil.rpcUrl, ...(options.storage === true ? {} : options.storage) })
    }
    if (options.fineTuning !== undefined && options.fineTuning !== false && options.registerServices !== false) {
      fineTuning = await startFineTuningProvider({
        rpcUrl: anvil.rpcUrl,
        addresses,
        accounts,
        ...(storage
          ? {
              storage: { indexerUrl: storage.indexerUrl, flowAddress: storage.flowAddress },
              rootHash: "merkle" as const,
            }
          : {}),
        ...(options.fineTuning === true ? {} : options.fineTuning),
        // The inference brokers' LoRA watcher: a task whose model the user acknowledged becomes an adapter (ready).
        onTaskState: (task, model) => {
          const own = typeof options.fineTuning === "object" ? options.fineTuning.onTaskState : undefined
          own?.(task, model)
          if (task.history.at(-1) !== "UserAcknowledged") return
          for (const p of inference) {
            p.lora.register({
              taskId: task.json.id,
              user: task.json.userAddress,
              baseModel: model,
              storageRootHash: task.modelRootHash ?? "",
            })
          }
        },
      })
      const url = fineTuning.url
      services = { ...services, fineTuning: services.fineTuning.map((s) => ({ ...s, url })) }
    }

    if (inference.length > 0) {
      const running = inference
      status = await startStatusApi(() => running)
    }

    let stopped: Promise<void> | undefined
    return {
      statusApiUrl: status?.url,
      rpcUrl: anvil.rpcUrl,
      port: anvil.port,
      chainId: BigInt(anvil.chainId),
      addresses,
      accounts,
      services,
      inference,
      storage,
      fineTuning,
      stop: () => {
        stopped ??= stopAll()
        return stopped
      },
    }
  } catch (e) {
    await stopAll()
    throw e
  }
}

const signerOf = (account: DevnetAccount, provider: ReturnType<typeof makeRpcProvider>) =>
  new Wallet(Redacted.value(account.privateKey), provider)

/** Wallet and TEE key of emulated provider `i`: #2/#1 for the first, then pairs after the ten role accounts. */
const providerAccounts = (i: number, accounts: DevnetAccounts) =>
  i === 0
    ? { provider: accounts.inferenceProvider, teeSigner: accounts.inferenceSigner }
    : {
        provider: { ...deriveAccount(ROLES.length + 2 * (i - 1)), role: "inference-provider" },
        teeSigner: { ...deriveAccount(ROLES.length + 2 * (i - 1) + 1), role: "inference-tee-signer" },
      }

/**
 * Starts the emulated inference providers (each registers its service with its real URL; the owner acknowledges
 * it) and registers the fine-tuning service, all owner-acknowledged.
 */
const registerServices = async (
  provider: ReturnType<typeof makeRpcProvider>,
  rpcUrl: string,
  addresses: ContractAddresses,
  accounts: DevnetAccounts,
  chainId: bigint,
  providerCount: number,
  inferenceOptions: DevnetInferenceOptions = {},
  brokers: ReadonlyArray<BrokerMode | undefined> = [],
): Promise<{ services: DevnetInfo["services"]; providers: ReadonlyArray<InferenceProvider> }> => {
  const fineTuningAbi = loadArtifact("FineTuningServing").abi
  // Emulated fine-tuning providers are started separately; this URL names where one listens by default.
  const chainPort = Number(new URL(rpcUrl).port)
  const fineTuning: RegisteredFineTuningService = {
    provider: accounts.fineTuningProvider,
    teeSigner: accounts.fineTuningSigner,
    url: `http://127.0.0.1:${chainPort + 2}`,
    pricePerToken: 1_000_000_000n,
  }
  // The owner vets each TEE signer. NonceManager because ethers caches identical nonce reads for 250 ms, and the
  // acknowledgements of several providers go out concurrently.
  const owner = new NonceManager(signerOf(accounts.deployer, provider))
  const ft = new Contract(addresses.fineTuning, fineTuningAbi, signerOf(fineTuning.provider, provider))

  const registerFineTuning = async () => {
    await mined(
      ft.getFunction("addOrUpdateService")(
        fineTuning.url,
        { cpuCount: 8n, nodeMemory: 32n, gpuCount: 1n, nodeStorage: 100n, gpuType: "devnet-cpu" },
        fineTuning.pricePerToken,
        false,
        [],
        fineTuning.teeSigner.address,
        { value: DEVNET_PROVIDER_STAKE },
      ),
    )
    await mined(
      new Contract(addresses.fineTuning, fineTuningAbi, owner).getFunction("acknowledgeTEESignerByOwner")(
        fineTuning.provider.address,
      ) as Promise<TransactionResponse>,
    )
  }
  const starting = Promise.allSettled(
    Array.from({ length: providerCount }, (_, i) => {
      const who = providerAccounts(i, accounts)
      return startInferenceProvider({
        ...inferenceOptions,
        rpcUrl,
        chainId,
        contract: addresses.inference,
        providerKey: who.provider.privateKey,
        teeKey: who.teeSigner.privateKey,
        model: DEVNET_INFERENCE_MODEL,
        ...onChainCeiling(inferenceOptions.billing, {
          inputPrice: BigInt(i + 1) * 1_000_000_000n,
          outputPrice: BigInt(i + 1) * 2_000_000_000n,
        }),
        acknowledgeWith: owner,
        ...(brokers[i] === undefined ? {} : { broker: brokers[i] }),
      }).then((p) => ({ p, who }))
    }),
  )
  const [started, ftError] = await Promise.all([
    starting,
    registerFineTuning().then(
      () => undefined,
      (e: unknown) => e ?? new Error("fine-tuning registration failed"),
    ),
  ])
  const ok = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []))
  const failed = started.find((r) => r.status === "rejected")
  if (failed !== undefined || ftError !== undefined) {
    await Promise.allSettled(ok.map(({ p }) => p.stop()))
    throw failed !== undefined ? failed.reason : ftError
  }
  const inference = ok.map(
    ({ p, who }): RegisteredInferenceService => ({
      provider: who.provider,
      teeSigner: who.teeSigner,
      url: p.url,
      model: p.model,
      inputPrice: p.inputPrice,
      outputPrice: p.outputPrice,
    }),
  )
  return { services: { inference, fineTuning: [fineTuning] }, providers: ok.map(({ p }) => p) }
}
