/**
 * Provider discovery: services on chain, models (predefined + the provider's own), and funding a provider's
 * sub-account. The quote check and the acknowledgement of the TEE signer are in attestation.ts.
 */

import { Ledger } from "@0g-compute/contracts"
import { Chain } from "@0g-compute/core"
import { Effect, Schema } from "effect"
import { getAllServiceRecords, getServiceRecord, type ServiceRecord } from "./chain.js"
import { FineTuningConfig } from "./config.js"
import { InsufficientFunds } from "./errors.js"
import { type FineTuningFeeTerms, publishedFeeTerms } from "./fees.js"
import { ModelJson, type ProviderEndpoint, readJson, send } from "./http.js"
import { type ModelInfo, PREDEFINED_MODELS } from "./training.js"

export interface FineTuningServiceInfo {
  readonly provider: string
  readonly url: string
  /** neuron per training token per epoch. */
  readonly pricePerToken: bigint
  readonly quota: ServiceRecord["quota"]
  readonly occupied: boolean
  /** The provider's customized model names (served by `/v1/model`). */
  readonly models: ReadonlyArray<string>
  readonly teeSigner: string
  /** Vetted by the contract owner; tasks of an unvetted provider cannot settle. */
  readonly teeSignerAcknowledged: boolean
}

const toInfo = (s: ServiceRecord): FineTuningServiceInfo => ({
  provider: s.provider,
  url: s.url.replace(/\/+$/, ""),
  pricePerToken: s.pricePerToken,
  quota: s.quota,
  occupied: s.occupied,
  models: s.models,
  teeSigner: s.teeSignerAddress,
  teeSignerAcknowledged: s.teeSignerAcknowledged,
})

/** Registered services; unvetted ones (owner has not acknowledged the TEE signer) only on request. */
export const listServices = (options: { readonly includeUnvetted?: boolean } = {}) =>
  Effect.map(getAllServiceRecords, (all) =>
    all.map(toInfo).filter((s) => options.includeUnvetted === true || s.teeSignerAcknowledged),
  )

export const getService = (provider: string) => Effect.map(getServiceRecord(provider), toInfo)

/** The HTTP endpoint of a provider, from its on-chain URL. */
export const endpoint = (provider: string) =>
  Effect.gen(function* () {
    const config = yield* FineTuningConfig
    const s = yield* getService(provider)
    const ep: ProviderEndpoint = {
      provider: s.provider,
      url: s.url,
      fetch: config.fetch,
      limits: config.providerLimits,
    }
    return { service: s, ep }
  })

const withFeeTerms = (feeTerms: FineTuningFeeTerms | undefined) => (feeTerms === undefined ? {} : { feeTerms })

/** Predefined models of the connected network (the mainnet table on unknown chains, like the official SDK). */
export const predefinedModels = Effect.gen(function* () {
  const chain = yield* Chain
  return PREDEFINED_MODELS[chain.network?.name ?? "mainnet"]
})

/** Predefined models, plus the provider's customized ones when a provider is given. */
export const listModels = (provider?: string) =>
  Effect.gen(function* () {
    const predefined = yield* predefinedModels
    if (provider === undefined) return predefined
    const { service, ep } = yield* endpoint(provider)
    if (service.models.length === 0) return predefined // the SDK asks /v1/model only then (§1)
    const res = yield* send(ep, "GET", "/model")
    const models = yield* readJson(ep, res, Schema.Array(ModelJson))
    const own: ReadonlyArray<ModelInfo> = models.map((m) => ({
      name: m.name,
      hash: m.hash,
      source: "provider" as const,
      ...(m.description === undefined ? {} : { description: m.description }),
      ...(m.tokenizer === undefined ? {} : { tokenizer: m.tokenizer }),
      ...(m.dataType === undefined ? {} : { dataType: m.dataType }),
      ...withFeeTerms(publishedFeeTerms(m)),
    }))
    return [...predefined, ...own]
  })

/** Moves `amount` from the ledger into the provider's sub-account, naming a shortfall `InsufficientFunds`. */
export const fundSubAccount = (provider: string, amount: bigint) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger
    return yield* ledger.transfer(provider, "fine-tuning", amount).pipe(
      Effect.catchTags({
        LedgerNotFound: () =>
          Effect.fail(
            new InsufficientFunds({ provider, required: amount, available: 0n, detail: "no ledger; create one first" }),
          ),
        InsufficientBalance: (e) =>
          Effect.fail(
            new InsufficientFunds({ provider, required: e.required, available: e.available, detail: e.what }),
          ),
      }),
    )
  })
