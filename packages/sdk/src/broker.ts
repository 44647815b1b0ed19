/**
 * The browser-safe broker: ledger + inference for one signer. Fine-tuning reads and writes files, so the full broker
 * (with `.fineTuning`) is the `createBroker` of `@0g-compute/sdk/node` — what `@0g-compute/sdk` resolves to under Node.
 */
import { LedgerClient } from "@0g-compute/contracts"
import type { ContractAddresses, NetworkName, TxOptions } from "@0g-compute/core"
import { createInferenceClient, type InferenceClient } from "@0g-compute/inference"
import type { Provider, Signer } from "ethers"

export interface BrowserBrokerOptions {
  /** Expected preset (the chain must match); also supplies the RPC URL when the signer has no provider. */
  readonly network?: NetworkName
  /** RPC URL when the signer is not connected to a provider. */
  readonly rpcUrl?: string
  readonly provider?: Provider
  /** Override contract addresses (required on an unknown chain). */
  readonly contracts?: Partial<ContractAddresses>
  /** Gas controls for every transaction: `{ gasPrice?, maxGasPrice?, feeBumpPercent?, receiptTimeoutMs? }` (wei). */
  readonly tx?: TxOptions
}

export interface BrowserBroker {
  readonly address: string
  readonly ledger: LedgerClient
  readonly inference: InferenceClient
  /** Releases both parts' connections and background work (auto top-ups). */
  readonly close: () => Promise<void>
}

/** The connection options every part takes, from the broker's options (absent ones left out, not `undefined`). */
export const connectionOptions = (signer: Signer, options: BrowserBrokerOptions) => ({
  signer,
  ...(options.network === undefined ? {} : { network: options.network }),
  ...(options.rpcUrl === undefined ? {} : { rpcUrl: options.rpcUrl }),
  ...(options.provider === undefined ? {} : { provider: options.provider }),
  ...(options.contracts === undefined ? {} : { contracts: options.contracts }),
  ...(options.tx === undefined ? {} : { tx: options.tx }),
})

/** Connects the ledger and inference facades for one signer; rejects with the typed error of the part that failed. */
export const createBrowserBroker = async (
  signer: Signer,
  options: BrowserBrokerOptions = {},
): Promise<BrowserBroker> => {
  const connection = connectionOptions(signer, options)
  const opened: Array<{ close: () => Promise<void> }> = []
  const closeAll = async () => {
    await Promise.allSettled(opened.map((p) => p.close()))
  }
  try {
    const ledger = await LedgerClient.connect(connection)
    opened.push(ledger)
    const inference = await createInferenceClient(connection)
    opened.push(inference)
    return { address: inference.address, ledger, inference, close: closeAll }
  } catch (e) {
    await closeAll()
    throw e
  }
}
