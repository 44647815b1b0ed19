/**
 * Layer wiring. `InferenceLive` needs `Chain`, `Wallet`, `Ledger`, `TxEngine` and `KeyStore` (the CLI supplies a file
 * store; `KeyStore.memory` otherwise); `InferenceReadOnly` needs only `Chain`. `inferenceLayerFromOptions` builds the
 * whole stack from facade-style options (RPC URL or ethers provider, signer or private key).
 */
import { type ConnectionStack, connectionStackLayer, type TxEngineOptions } from "@0g-compute/contracts"
import {
  type ConnectionOptions as ChainConnectionOptions,
  chainLayerFromOptions,
  walletLayerFromOptions,
} from "@0g-compute/core"
import { Layer } from "effect"
import { Attestation } from "./attestation/service.js"
import { ApiKeys } from "./auth/api-keys.js"
import { KeyStore, type KeyStoreShape } from "./auth/key-store.js"
import { RequestAuth } from "./auth/session.js"
import { InferenceConfig, type InferenceConfigShape, inferenceConfigLayer } from "./config.js"
import { Directory } from "./directory.js"
import { Funding } from "./funding.js"
import { InferenceRequests } from "./requests.js"
import { UsageMeter } from "./usage.js"

/** Every inference service. */
export const InferenceLive = Layer.mergeAll(
  Attestation.layer,
  Funding.layer,
  ApiKeys.layer,
  InferenceRequests.layer,
).pipe(Layer.provideMerge(Layer.mergeAll(RequestAuth.layer, UsageMeter.layer)), Layer.provideMerge(Directory.layer))

/** Discovery and attestation reports, without a wallet. */
export const InferenceReadOnly = Attestation.layerReadOnly.pipe(Layer.provideMerge(Directory.layer))

export type InferenceServices = Layer.Success<typeof InferenceLive>
export type InferenceReadServices = Layer.Success<typeof InferenceReadOnly>

export interface ConnectionOptions extends ChainConnectionOptions {
  readonly tx?: TxEngineOptions
  /** Where issued API-key ids are remembered; default in memory. */
  readonly keyStore?: KeyStoreShape
  readonly config?: Partial<InferenceConfigShape>
}

const configLayer = (o: Pick<ConnectionOptions, "config">) =>
  o.config === undefined
    ? Layer.succeed(InferenceConfig, InferenceConfig.defaultValue())
    : inferenceConfigLayer(o.config)

/** The inference services on an existing connection stack (shared with the other parts by `createBroker`). */
export const inferenceLayerOn = <E>(
  stack: Layer.Layer<ConnectionStack, E>,
  o: Pick<ConnectionOptions, "keyStore" | "config"> = {},
) => {
  const store = o.keyStore === undefined ? KeyStore.memory : Layer.succeed(KeyStore, o.keyStore)
  return InferenceLive.pipe(Layer.provideMerge(Layer.mergeAll(stack, store)), Layer.provideMerge(configLayer(o)))
}

/** The full stack for a signing client. Fails to build without `signer` or `privateKey`. */
export const inferenceLayerFromOptions = (o: ConnectionOptions) => {
  const wallet = walletLayerFromOptions(o)
  if (wallet === undefined) throw new TypeError("inferenceLayerFromOptions needs a signer or a privateKey")
  return inferenceLayerOn(connectionStackLayer(o, wallet), o)
}

/** The read-only stack (discovery, model catalogues, attestation reports). */
export const inferenceReadLayerFromOptions = (
  o: Omit<ConnectionOptions, "signer" | "privateKey" | "keyStore" | "tx">,
) => InferenceReadOnly.pipe(Layer.provideMerge(chainLayerFromOptions(o)), Layer.provideMerge(configLayer(o)))

/** Everything the full stack provides: the inference services plus Chain, Wallet, Ledger, TxEngine, KeyStore, config. */
export type InferenceStack = Layer.Success<ReturnType<typeof inferenceLayerFromOptions>>
