/**
 * The browser-safe broker: ledger + inference for one signer. Fine-tuning reads and writes files, so the full broker
 * (with `.fineTuning`) is the `createBroker` of `@0g-compute/sdk/node` — what `@0g-compute/sdk` resolves to under Node.
 */
import { connectionStackLayer, type LedgerClient, ledgerClientOn } from "@0g-compute/contracts"
import {
  type ContractAddresses,
  type FacadeRuntime,
  makeFacadeRuntime,
  type NetworkName,
  type TxOptions,
  walletLayerFromOptions,
  walletLayerFromSigner,
} from "@0g-compute/core"
import { type InferenceClient, inferenceClientOn, inferenceLayerOn } from "@0g-compute/inference"
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
   * const { available } = await broker.ledger.get()
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
   * Releases the connection and background work (auto top-ups).
   *
   * @example
   * await broker.close()
   */
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

/** The signer's wallet layer (connected to the chain's provider when the signer has none). */
export const signingWallet = (o: { readonly signer: Signer }) =>
  walletLayerFromOptions(o) ?? walletLayerFromSigner(o.signer)

/** A runtime several facades share: disposed once, by whichever part (or the broker) closes first. */
export const sharedRuntime = <R>(runtime: FacadeRuntime<R>): FacadeRuntime<R> => {
  let disposed: Promise<void> | undefined
  return {
    run: runtime.run,
    dispose: () => {
      disposed ??= runtime.dispose()
      return disposed
    },
  }
}

/**
 * Connects the ledger and inference facades for one signer over ONE connection (one provider, one transaction
 * engine, one nonce lock); rejects with the typed error of whatever failed. Closing either part closes both.
 */
export const createBrowserBroker = async (
  signer: Signer,
  options: BrowserBrokerOptions = {},
): Promise<BrowserBroker> => {
  const stack = connectionStackLayer(connectionOptions(signer, options), signingWallet({ signer }))
  const runtime = sharedRuntime(makeFacadeRuntime(inferenceLayerOn(stack)))
  try {
    const ledger = await ledgerClientOn(runtime)
    const inference = await inferenceClientOn(runtime)
    return { address: inference.address, ledger, inference, close: runtime.dispose }
  } catch (e) {
    await runtime.dispose()
    throw e
  }
}
