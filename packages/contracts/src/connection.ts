/**
 * The connection stack every part of the SDK runs on: `Chain` + `Wallet` + `TxEngine` + `Ledger` for one signer.
 * Built once and shared (by `createBroker`, the CLI), it is one provider, one transaction engine and one nonce lock
 * per signer; the parts' own layers take it instead of building their own.
 */
import { type Chain, type ConnectionOptions, chainLayerFromOptions, type Wallet } from "@0g-compute/core"
import { Layer } from "effect"
import { Ledger } from "./ledger/service.js"
import { TxEngine, type TxEngineOptions } from "./tx/engine.js"

export type ConnectionStack = Chain | Wallet | TxEngine | Ledger

export interface ConnectionStackOptions extends ConnectionOptions {
  readonly tx?: TxEngineOptions
}

/** The stack over the chain of `options`, signing with `wallet` (each part decides what a missing signer means). */
export const connectionStackLayer = <E>(options: ConnectionStackOptions, wallet: Layer.Layer<Wallet, E, Chain>) => {
  const signing = Layer.provideMerge(wallet, chainLayerFromOptions(options))
  const tx = options.tx === undefined ? TxEngine.layer : TxEngine.layerWith(options.tx)
  return Layer.provideMerge(Ledger.layer, Layer.provideMerge(tx, signing))
}
