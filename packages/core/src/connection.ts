/**
 * Plain connection options → `Chain` and `Wallet` layers: what every Promise facade (ledger, inference,
 * fine-tuning, sdk) takes from integrators. Fails closed: no RPC, provider, network or connected signer is an error.
 */
import { Data, Effect, Layer, Redacted } from "effect"
import type { Provider, Signer } from "ethers"
import {
  Chain,
  chainLayerFromProvider,
  chainLayerFromRpc,
  type Wallet,
  walletLayerFromPrivateKey,
  walletLayerFromSigner,
} from "./chain.js"
import type { ChainMismatch, InvalidPrivateKey, RpcError, UnknownChainId } from "./errors.js"
import { type ContractAddresses, NETWORKS, type NetworkName } from "./networks.js"

/** No way to reach a chain was given. */
export class ConnectionRequired extends Data.TaggedError("ConnectionRequired")<{ readonly detail: string }> {
  override get message() {
    return `Cannot reach a chain: ${this.detail}`
  }
}

/**
 * Gas controls of the transaction engine every write goes through. Prices are neuron (wei) per gas.
 * `gasPrice`: a fixed price (legacy transactions) instead of the network's fees; `maxGasPrice`: never sign above it
 * (a typed error when the network needs more); `feeBumpPercent`: the step of a replacement (≥ 10).
 */
export interface TxOptions {
  readonly gasPrice?: bigint
  readonly maxGasPrice?: bigint
  readonly feeBumpPercent?: number
  /** How long to wait for a receipt before reporting the hash as still pending. */
  readonly receiptTimeoutMs?: number
}

export interface ConnectionOptions {
  /** Any ethers signer. Without a provider it is connected to the chain's. */
  readonly signer?: Signer
  /** Alternative to `signer`. Prefer `Redacted` so the key never prints. */
  readonly privateKey?: Redacted.Redacted<string> | string
  readonly rpcUrl?: string
  readonly provider?: Provider
  /** Expected preset; also supplies the RPC URL when neither rpcUrl, provider nor a connected signer is given. */
  readonly network?: NetworkName
  readonly contracts?: Partial<ContractAddresses>
  /** Gas controls for every transaction this connection sends. */
  readonly tx?: TxOptions
}

export type ChainLayerError = ConnectionRequired | RpcError | ChainMismatch | UnknownChainId

/** The `Chain` for the options: rpcUrl, else a provider (or the signer's), else the network preset's RPC. */
export const chainLayerFromOptions = (o: ConnectionOptions): Layer.Layer<Chain, ChainLayerError> => {
  const chainOptions = {
    ...(o.network === undefined ? {} : { network: o.network }),
    ...(o.contracts === undefined ? {} : { contracts: o.contracts }),
  }
  if (o.rpcUrl !== undefined) return chainLayerFromRpc(o.rpcUrl, chainOptions)
  const provider = o.provider ?? o.signer?.provider ?? undefined
  if (provider) return chainLayerFromProvider(provider, chainOptions)
  if (o.network !== undefined) return chainLayerFromRpc(NETWORKS[o.network].rpcUrl, chainOptions)
  return Layer.effect(
    Chain,
    Effect.fail(new ConnectionRequired({ detail: "pass rpcUrl, provider, network or a signer with a provider" })),
  )
}

/** The `Wallet` for the options (a signer, else a private key), or undefined when neither is given. */
export const walletLayerFromOptions = (
  o: ConnectionOptions,
): Layer.Layer<Wallet, RpcError | InvalidPrivateKey, Chain> | undefined => {
  const signer = o.signer
  if (signer !== undefined) {
    if (signer.provider) return walletLayerFromSigner(signer)
    return Layer.unwrap(Effect.map(Chain, (chain) => walletLayerFromSigner(signer.connect(chain.provider))))
  }
  if (o.privateKey !== undefined) {
    return walletLayerFromPrivateKey(typeof o.privateKey === "string" ? Redacted.make(o.privateKey) : o.privateKey)
  }
  return undefined
}
