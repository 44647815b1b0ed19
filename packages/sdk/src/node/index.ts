/**
 * @0g-compute/sdk/node — one import for integrators: `createBroker(signer, { network })` returns the ledger, inference
 * and fine-tuning Promise facades sharing one connection. No logic of its own; each part is its package's facade.
 * Node-only (the fine-tuning facade reads and writes files); under Node, `@0g-compute/sdk` resolves here too through
 * the `node` export condition.
 *
 * ```ts
 * const broker = await createBroker(wallet, { network: "testnet" })
 * await broker.ledger.add("3")                                              // ledger
 * const [svc] = await broker.inference.listAllServices()                    // inference
 * await broker.inference.acknowledge(svc.provider, { fund: "1" })
 * const openai = new OpenAI(await broker.inference.openAIOptions(svc.provider))
 * await broker.fineTuning.run({ provider, datasetPath, model, trainingParams, outputDir })   // fine-tuning
 * await broker.close()
 * ```
 */
import { connectionStackLayer, type LedgerClient, ledgerClientOn } from "@0g-compute/contracts"
import { type ContractAddresses, makeFacadeRuntime, type NetworkName, type TxOptions } from "@0g-compute/core"
import {
  type FineTuningClient,
  type FineTuningServices,
  fineTuningClientOn,
  fineTuningLayerOn,
} from "@0g-compute/fine-tuning/node"
import {
  type InferenceClient,
  type InferenceStack,
  inferenceClientOn,
  inferenceLayerOn,
  quoteAssessor,
} from "@0g-compute/inference"
import { type Effect, Layer, type Redacted } from "effect"
import type { Provider, Signer } from "ethers"
import { connectionOptions, sharedRuntime, signingWallet } from "../broker.js"

/** What a broker's `run` provides. */
export type BrokerServices = InferenceStack | FineTuningServices

export interface BrokerOptions {
  /** Expected preset (the chain must match); also supplies the RPC URL when the signer has no provider. */
  readonly network?: NetworkName
  /** RPC URL when the signer is not connected to a provider. */
  readonly rpcUrl?: string
  readonly provider?: Provider
  /** Override contract addresses (required on an unknown chain). */
  readonly contracts?: Partial<ContractAddresses>
  /**
   * The wallet's raw key, needed only to decrypt fine-tuned models (ECIES). A signer that cannot export its key can do
   * everything else.
   */
  readonly privateKey?: Redacted.Redacted<string> | string
  /** 0G Storage indexer for fine-tuning datasets and models (otherwise the provider's routes). */
  readonly storageIndexer?: string
  /**
   * Gas controls for every transaction (neuron = wei per gas), like the official SDK's gasPrice / maxGasPrice / step:
   * `{ gasPrice?: bigint, maxGasPrice?: bigint, feeBumpPercent?: number, receiptTimeoutMs?: number }`.
   */
  readonly tx?: TxOptions
}

export interface Broker {
  /**
   * The signer's checksummed address.
   *
   * @example
   * const payer = broker.address // "0xf39F…2266"
   */
  readonly address: string
  /**
   * The ledger: balances, deposits, refunds, transfers to provider sub-accounts.
   *
   * @example
   * await broker.ledger.add("3")
   */
  readonly ledger: LedgerClient
  /**
   * Inference: discovery, acknowledgement, funding, verified requests.
   *
   * @example
   * const services = await broker.inference.listServices()
   */
  readonly inference: InferenceClient
  /**
   * Fine-tuning: providers, tasks, model delivery and decryption.
   *
   * @example
   * const models = await broker.fineTuning.listModels(provider)
   */
  readonly fineTuning: FineTuningClient
  /**
   * Runs an Effect program on the broker's connection and services (Chain, Wallet, TxEngine, Ledger, inference,
   * fine-tuning).
   *
   * @example
   * const info = await broker.run(Ledger.use((l) => l.get()))
   */
  readonly run: <A, E>(effect: Effect.Effect<A, E, BrokerServices>) => Promise<A>
  /**
   * Releases the connection and all background work (auto top-ups).
   *
   * @example
   * await broker.close()
   */
  readonly close: () => Promise<void>
}

/**
 * Connects the three facades for one signer over ONE connection: one provider, one transaction engine and one nonce
 * lock for the signer, whichever part sends. Rejects with the typed error of whatever failed to connect. The parts
 * share the connection, so closing any part closes the broker.
 */
export const createBroker = async (signer: Signer, options: BrokerOptions = {}): Promise<Broker> => {
  const connection = connectionOptions(signer, options)
  const stack = connectionStackLayer(connection, signingWallet(connection))
  const storage = options.storageIndexer === undefined ? {} : { storage: { indexerUrl: options.storageIndexer } }
  const runtime = sharedRuntime(
    makeFacadeRuntime(Layer.mergeAll(inferenceLayerOn(stack), fineTuningLayerOn(stack, storage))),
  )
  try {
    const ledger = await ledgerClientOn(runtime)
    const inference = await inferenceClientOn(runtime)
    const fineTuning = await fineTuningClientOn(runtime, {
      // the fine-tuning provider's quote gets the same attestation report as an inference provider's
      assess: quoteAssessor(),
      ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    })
    return { address: inference.address, ledger, inference, fineTuning, run: runtime.run, close: runtime.dispose }
  } catch (e) {
    await runtime.dispose()
    throw e
  }
}

// Storage's Node client (the default entry's plus rootOfFile, uploadFile, downloadFile) takes precedence over its.
export {
  createStorageClient,
  type NodeStorageClient,
  type StorageDownloadFileOptions,
  type StorageUploadFileOptions,
} from "@0g-compute/storage/node"

// Everything else of the default entry (errors, amounts, networks, the reader, the parts), as the same bindings; the
// surface is chosen there. This module's own Broker, BrokerOptions, createBroker and createStorageClient take
// precedence over its.
export * from "../index.js"
