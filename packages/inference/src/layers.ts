/**
 * Layer wiring. `inferenceLayerOn(stack, options)` provides every inference service over a connection stack (`Chain`,
 * `Wallet`, `Ledger`, `TxEngine`); `inferenceReadLayerOn(chain, options)` the read-only ones over a `Chain`.
 */
import type { ConnectionStack, TxEngineOptions } from "@0g-compute/contracts"
import type { Chain, ConnectionOptions as ChainConnectionOptions } from "@0g-compute/core"
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

// Every inference service; needs the connection stack and a KeyStore.
const services = Layer.mergeAll(Attestation.layer, Funding.layer, ApiKeys.layer, InferenceRequests.layer).pipe(
  Layer.provideMerge(Layer.mergeAll(RequestAuth.layer, UsageMeter.layer)),
  Layer.provideMerge(Directory.layer),
)

// Discovery and attestation reports, without a wallet; needs a Chain.
const readServices = Attestation.layerReadOnly.pipe(Layer.provideMerge(Directory.layer))

export type InferenceServices = Layer.Success<typeof services>
export type InferenceReadServices = Layer.Success<typeof readServices>

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
export const inferenceLayerOn = <E, R = never>(
  stack: Layer.Layer<ConnectionStack, E, R>,
  o: Pick<ConnectionOptions, "keyStore" | "config"> = {},
) => {
  const store = o.keyStore === undefined ? KeyStore.layer : Layer.succeed(KeyStore, o.keyStore)
  return services.pipe(Layer.provideMerge(Layer.mergeAll(stack, store)), Layer.provideMerge(configLayer(o)))
}

/** The read-only services (discovery, model catalogues, attestation reports) on a `Chain`. */
export const inferenceReadLayerOn = <E, R = never>(
  chain: Layer.Layer<Chain, E, R>,
  o: Pick<ConnectionOptions, "config"> = {},
) => readServices.pipe(Layer.provideMerge(chain), Layer.provideMerge(configLayer(o)))

/** Everything the full stack provides: the inference services plus Chain, Wallet, Ledger, TxEngine, KeyStore, config. */
export type InferenceStack = Layer.Success<ReturnType<typeof inferenceLayerOn>>
