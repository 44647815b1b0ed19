/**
 * Provider discovery and trust: services on chain, models (predefined + the provider's own), the quote check that
 * binds the provider's TEE signer (fine-tuning-protocol.md §2 `/v1/quote`, inference-protocol.md §10), and the user's
 * on-chain acknowledgement of that signer (which needs a funded sub-account, §1).
 */
import { Effect, Option, Schema } from "effect"
import { InsufficientFunds, ProviderNotVetted, QuoteInvalid, QuoteSignerMismatch } from "./errors.js"
import { ModelJson, type ProviderEndpoint, readJson, readText, send } from "./http.js"
import {
  FineTuning,
  getAccountRecord,
  getAllServiceRecords,
  getServiceRecord,
  type ServiceRecord,
  sendServing,
} from "./service.js"
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
    const ft = yield* FineTuning
    const s = yield* getService(provider)
    const ep: ProviderEndpoint = {
      provider: s.provider,
      url: s.url,
      fetch: ft.options.fetch,
      limits: ft.options.providerLimits,
    }
    return { service: s, ep }
  })

/** Predefined models of the connected network (the mainnet table on unknown chains, like the official SDK). */
export const predefinedModels = Effect.gen(function* () {
  const ft = yield* FineTuning
  return PREDEFINED_MODELS[ft.chain.network?.name ?? "mainnet"]
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
    }))
    return [...predefined, ...own]
  })

/** Each check of the provider's quote, reported separately (never one collapsed flag). */
export interface ProviderVerification {
  readonly provider: string
  readonly url: string
  /** On-chain `teeSignerAddress`. */
  readonly teeSigner: string
  /** The address in the quote's report_data. */
  readonly reportedSigner: string
  readonly signerBound: boolean
  /** sha256(tcb_info.app_compose) against the event log's compose-hash entry. */
  readonly composeHash: "match" | "mismatch" | "absent"
  /** The TDX quote itself is not verified by this client. */
  readonly quoteVerified: false
  /** The quote says it comes from the local devnet emulator (no TEE). */
  readonly devnet: boolean
  readonly ownerAcknowledged: boolean
}

const sha256Hex = async (text: string) => {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")
}

const asJson = (u: unknown): unknown => {
  if (typeof u !== "string") return u
  try {
    return JSON.parse(u)
  } catch {
    return undefined
  }
}

/** Downloads the quote and checks it binds the on-chain TEE signer; fails on a mismatch. */
export const verifyProvider = (provider: string) =>
  Effect.gen(function* () {
    const { service, ep } = yield* endpoint(provider)
    const text = yield* readText(ep, yield* send(ep, "GET", "/quote"))
    const quote = asJson(text) as Record<string, unknown> | undefined
    if (typeof quote !== "object" || quote === null) return yield* new QuoteInvalid({ provider, reason: "not JSON" })
    const reportData = quote.report_data
    if (typeof reportData !== "string" || reportData === "") {
      return yield* new QuoteInvalid({ provider, reason: "empty report_data" })
    }
    const bytes = Uint8Array.from(atob(reportData), (c) => c.charCodeAt(0))
    const reportedSigner = new TextDecoder().decode(bytes).replace(/\0+$/, "").trim()
    const signerBound = reportedSigner.toLowerCase() === service.teeSigner.toLowerCase()
    if (!signerBound) {
      return yield* new QuoteSignerMismatch({ provider, reported: reportedSigner, onChain: service.teeSigner })
    }
    const tcb = asJson(quote.tcb_info ?? (quote.info as Record<string, unknown> | undefined)?.tcb_info) as
      | { app_compose?: unknown }
      | undefined
    const events = asJson(quote.event_log)
    const composeEvent = Array.isArray(events)
      ? (events as Array<{ event?: unknown; event_payload?: unknown }>).find((e) => e?.event === "compose-hash")
      : undefined
    let composeHash: ProviderVerification["composeHash"] = "absent"
    if (typeof tcb?.app_compose === "string" && typeof composeEvent?.event_payload === "string") {
      const h = yield* Effect.promise(() => sha256Hex(tcb.app_compose as string))
      composeHash = h === composeEvent.event_payload.toLowerCase() ? "match" : "mismatch"
    }
    return {
      provider: service.provider,
      url: service.url,
      teeSigner: service.teeSigner,
      reportedSigner,
      signerBound,
      composeHash,
      quoteVerified: false,
      devnet: quote.devnet === true,
      ownerAcknowledged: service.teeSignerAcknowledged,
    } satisfies ProviderVerification
  })

/** Moves `amount` from the ledger into the provider's sub-account, naming a shortfall `InsufficientFunds`. */
export const fundSubAccount = (provider: string, amount: bigint) =>
  Effect.gen(function* () {
    const ft = yield* FineTuning
    return yield* ft.ledger.transfer(provider, "fine-tuning", amount).pipe(
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

export interface ProviderAcknowledgement {
  readonly verification: ProviderVerification
  /** Set when a transaction was sent (funding a new sub-account, or the acknowledgement itself). */
  readonly txHash: string | undefined
  /** neuron moved into a newly created sub-account. */
  readonly funded: bigint
}

/**
 * Verifies the quote, then acknowledges the TEE signer on chain. A missing sub-account is created with `fund`
 * (default: the ledger's MIN_TRANSFER_AMOUNT), which acknowledges it; an unacknowledged one gets
 * `acknowledgeTEESigner(provider, true)`; nothing is sent when it is already acknowledged.
 */
export const acknowledgeProvider = (provider: string, options: { readonly fund?: bigint } = {}) =>
  Effect.gen(function* () {
    const ft = yield* FineTuning
    const verification = yield* verifyProvider(provider)
    if (!verification.ownerAcknowledged) return yield* new ProviderNotVetted({ provider })
    const account = yield* getAccountRecord(verification.provider)
    if (Option.isNone(account)) {
      const amount = options.fund ?? (yield* ft.ledger.limits).minTransferAmount
      const tx = yield* fundSubAccount(verification.provider, amount)
      return { verification, txHash: tx.hash, funded: amount } satisfies ProviderAcknowledgement
    }
    if (account.value.acknowledged) return { verification, txHash: undefined, funded: 0n }
    const tx = yield* sendServing("acknowledgeTEESigner", [verification.provider, true])
    return { verification, txHash: tx.hash, funded: 0n } satisfies ProviderAcknowledgement
  })
