/**
 * The connection stack every part of the SDK runs on: `Chain` + `Wallet` + `TxEngine` + `Ledger` for one signer.
 * Built once and shared (by `createBroker`, the CLI), it is one provider, one transaction engine and one nonce lock
 * per signer; the parts' own layers take it instead of building their own.
 */
import {
  type Chain,
  type ConnectionOptions,
  chainLayerFromOptions,
  type InvalidPrivateKey,
  type RpcError,
  SignerRequired,
  Wallet,
  walletLayerFromOptions,
} from "@0g-compute/core"
import { Effect, Layer } from "effect"
import { Ledger } from "./ledger/service.js"
import { TxEngine, type TxEngineOptions } from "./tx/engine.js"

export type ConnectionStack = Chain | Wallet | TxEngine | Ledger

export interface ConnectionStackOptions extends ConnectionOptions {
  readonly tx?: TxEngineOptions
}

/**
 * The stack over the chain of `options`, signing with `wallet` (by default the signer or private key of `options`;
 * without either the layer fails with `SignerRequired`).
 */
export const connectionStackLayer = <E = never>(
  options: ConnectionStackOptions,
  wallet?: Layer.Layer<Wallet, E, Chain>,
) => {
  const signer: Layer.Layer<Wallet, E | RpcError | InvalidPrivateKey | SignerRequired, Chain> =
    wallet ??
    walletLayerFromOptions(options) ??
    Layer.effect(Wallet, Effect.fail(new SignerRequired({ operation: "the connection stack" })))
  const signing = Layer.provideMerge(signer, chainLayerFromOptions(options))
  const tx = TxEngine.layer(options.tx)
  return Layer.provideMerge(Ledger.layer, Layer.provideMerge(tx, signing))
}
