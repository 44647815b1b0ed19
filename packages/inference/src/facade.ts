/**
 * The Promise facade: `createInferenceClient({ signer | privateKey, rpcUrl | provider, network? })` for integrators
 * who never touch Effect, and `createInferenceReader(...)` for read-only use (no key). One runtime built from the
 * layers; every method rejects with the typed error itself (an `Error` with `_tag` and fields).
 */

import { connectionStackLayer, type TxResult } from "@0g-compute/contracts"
import { chainLayerFromOptions, type FacadeRuntime, makeFacadeRuntime, parseZG } from "@0g-compute/core"
import { Effect } from "effect"
import {
  type AdapterInfo,
  adapterStatus,
  type DeployResult,
  deployAdapter,
  listAdapters,
  type WaitOptions,
  waitForAdapter,
} from "./adapters.js"
import type { AttestationOptions, AttestationReport } from "./attestation/report.js"
import { type AcknowledgeOptions, type AcknowledgeResult, Attestation } from "./attestation/service.js"
import { type ApiKeyList, ApiKeys, type CreateApiKeyOptions, type CreatedApiKey } from "./auth/api-keys.js"
import { RequestAuth } from "./auth/session.js"
import { Directory, type ListServicesOptions, type ModelCatalog, type ServicePage } from "./directory.js"
import type { InferenceFetch, InferenceFetchOptions } from "./fetch/adapter.js"
import {
  type EnsureResult,
  Funding,
  type FundingPolicy,
  type FundingStatus,
  type TopUpOptions,
  type TopUpStats,
} from "./funding.js"
import {
  type ConnectionOptions,
  type InferenceReadServices,
  type InferenceStack,
  inferenceLayerOn,
  inferenceReadLayerOn,
} from "./layers.js"
import { InferenceRequests, type OpenAIClientOptions } from "./requests.js"
import type { ServiceView } from "./service-view.js"
import { listServicesWithDetail, type ServicesWithDetail } from "./status-api.js"
import { UsageMeter, type UsageRecord, type UsageSummary } from "./usage.js"
import { signatureUrlOf } from "./verify/verifier.js"

/** A decimal 0G string ("1.5") or a bigint number of neuron. */
export type AmountInput = string | bigint

const neuron = (a: AmountInput | undefined) =>
  a === undefined ? Effect.succeed(undefined) : typeof a === "bigint" ? Effect.succeed(a) : parseZG(a)

export interface AutoTopUp {
  readonly provider: string
  readonly stats: () => TopUpStats
  readonly checkNow: () => Promise<EnsureResult>
  readonly stop: () => Promise<void>
}

export interface InferenceReader {
  /**
   * One page of services (acknowledged ones by default).
   *
   * @example
   * const [service] = (await inference.listServices()).services
   */
  listServices(options?: ListServicesOptions): Promise<ServicePage>
  /**
   * Every service, all pages.
   *
   * @example
   * const all = await inference.listAllServices({ includeUnacknowledged: true })
   */
  listAllServices(options?: Omit<ListServicesOptions, "offset" | "limit">): Promise<ReadonlyArray<ServiceView>>
  /**
   * One provider's service; rejects when it is not registered.
   *
   * @example
   * const service = await inference.getService(provider)
   */
  getService(provider: string): Promise<ServiceView>
  /**
   * The models a provider serves.
   *
   * @example
   * const catalog = await inference.listModels(provider)
   */
  listModels(provider: string): Promise<ModelCatalog>
  /**
   * Services with health and model catalogue from the network's status API (`statusApi` overrides it).
   *
   * @example
   * const detail = await inference.listServicesWithDetail()
   */
  listServicesWithDetail(
    options?: Omit<ListServicesOptions, "offset" | "limit"> & { readonly statusApi?: string },
  ): Promise<ServicesWithDetail>
  /**
   * The provider's attestation, every check separately.
   *
   * @example
   * const report = await inference.attestationReport(service.provider)
   * if (report.verdict !== "verified") throw new Error(`not attested: ${report.verdict}`) // "devnet" on the devnet
   */
  attestationReport(provider: string, options?: AttestationOptions): Promise<AttestationReport>
  /**
   * The URL of the provider's TEE signature for one exchange (a usage record's `chatId`), to check it by hand — the
   * official SDK's `getChatSignatureDownloadLink`.
   *
   * @example
   * const url = await inference.signatureUrl(provider, chatId) // chatId: from a usage record
   */
  signatureUrl(provider: string, chatId: string): Promise<string>
  /**
   * Releases the runtime (and the RPC provider it created).
   *
   * @example
   * await inference.close()
   */
  close(): Promise<void>
}

export interface InferenceClient extends InferenceReader {
  /**
   * The wallet address (EIP-55).
   *
   * @example
   * const payer = inference.address // "0x…", whose sub-accounts pay
   */
  readonly address: string
  /**
   * Checks the provider's attestation, then acknowledges its TEE signer on chain (and funds the sub-account).
   *
   * @example
   * await inference.acknowledge(service.provider, { fund: "2", allowDevnet: true })
   */
  acknowledge(
    provider: string,
    options?: Omit<AcknowledgeOptions, "fund"> & { readonly fund?: AmountInput },
  ): Promise<AcknowledgeResult>
  /**
   * The sub-account of `provider` measured against a funding policy.
   *
   * @example
   * const status = await inference.fundingStatus(service.provider)
   */
  fundingStatus(provider: string, policy?: FundingPolicy): Promise<FundingStatus>
  /**
   * Tops the sub-account of `provider` up from the ledger when it is below the policy.
   *
   * @example
   * await inference.ensureFunded(service.provider)
   */
  ensureFunded(provider: string, policy?: FundingPolicy): Promise<EnsureResult>
  /**
   * Keeps the sub-account funded in the background until `stop()`.
   *
   * @example
   * const topUp = await inference.startAutoTopUp(service.provider)
   * await topUp.stop()
   */
  startAutoTopUp(provider: string, options?: TopUpOptions): Promise<AutoTopUp>
  /**
   * A fetch for `new OpenAI({ baseURL: <url>/v1/proxy, apiKey: "unused", fetch })`. Synchronous.
   *
   * @example
   * const fetch = inference.fetch(service.provider)
   * const openai = new OpenAI({ baseURL: `${service.url}/v1/proxy`, apiKey: "unused", fetch, maxRetries: 0 })
   */
  fetch(provider: string, options?: InferenceFetchOptions): InferenceFetch
  /**
   * `new OpenAI(await client.openAIOptions(provider))`.
   *
   * @example
   * const openai = new OpenAI(await inference.openAIOptions(service.provider))
   */
  openAIOptions(provider: string, options?: InferenceFetchOptions): Promise<OpenAIClientOptions>
  /**
   * Provider API keys (on-chain token ids).
   *
   * @example
   * const key = await inference.apiKeys.create(provider)
   * await inference.apiKeys.revoke(provider, key.tokenId)
   */
  readonly apiKeys: {
    create(provider: string, options?: CreateApiKeyOptions): Promise<CreatedApiKey>
    list(provider: string): Promise<ApiKeyList>
    revoke(provider: string, tokenIds: number | ReadonlyArray<number>): Promise<TxResult>
    revokeAll(provider: string): Promise<TxResult>
  }
  /**
   * LoRA adapters of fine-tuned tasks on inference providers (adapters.ts); chat with one by naming it as `model`.
   *
   * @example
   * const adapter = await inference.adapters.deploy(provider, { taskId, baseModel: "Qwen2.5-0.5B-Instruct" })
   * await inference.adapters.waitUntilActive(provider, adapter.adapterName)
   */
  readonly adapters: {
    list(provider: string): Promise<ReadonlyArray<AdapterInfo>>
    status(provider: string, adapterName: string): Promise<AdapterInfo>
    deploy(provider: string, task: { readonly taskId: string; readonly baseModel: string }): Promise<DeployResult>
    waitUntilActive(provider: string, adapterName: string, options?: WaitOptions): Promise<AdapterInfo>
  }
  /**
   * Requests, tokens and fees so far, per provider and model.
   *
   * @example
   * const { total } = inference.usage() // neuron billed in this session
   */
  usage(): UsageSummary
  /**
   * Every exchange so far, with its verification level and fee.
   *
   * @example
   * const unverified = inference.usageRecords().filter((r) => r.level !== "bytes-bound")
   */
  usageRecords(): ReadonlyArray<UsageRecord>
  /**
   * Runs any effect against this client's services (the Effect escape hatch).
   *
   * @example
   * const page = await inference.run(Directory.use((d) => d.list()))
   */
  run<A, E>(effect: Effect.Effect<A, E, InferenceStack>): Promise<A>
}

const readerMethods = (runtime: FacadeRuntime<InferenceReadServices>): InferenceReader => ({
  listServices: (options) => runtime.run(Directory.use((d) => d.list(options))),
  listAllServices: (options) => runtime.run(Directory.use((d) => d.listAll(options))),
  getService: (provider) => runtime.run(Directory.use((d) => d.get(provider))),
  listModels: (provider) => runtime.run(Directory.use((d) => d.models(provider))),
  listServicesWithDetail: (options) => runtime.run(listServicesWithDetail(options)),
  attestationReport: (provider, options) => runtime.run(Attestation.use((a) => a.report(provider, options))),
  signatureUrl: (provider, chatId) =>
    runtime.run(Directory.use((d) => Effect.map(d.get(provider), (service) => signatureUrlOf(service, chatId)))),
  close: () => runtime.dispose(),
})

/**
 * A read-only client: discovery, model catalogues and attestation reports.
 *
 * @example
 * const reader = await createInferenceReader({ network: "testnet" })
 */
export const createInferenceReader = async (
  options: Omit<ConnectionOptions, "signer" | "privateKey" | "keyStore" | "tx">,
): Promise<InferenceReader> => {
  const runtime = makeFacadeRuntime(inferenceReadLayerOn(chainLayerFromOptions(options), options))
  try {
    await runtime.run(Directory.use(() => Effect.void))
  } catch (e) {
    await runtime.dispose()
    throw e
  }
  return readerMethods(runtime)
}

/**
 * A signing client. Connects (and checks the chain and key) before resolving; without `signer` or `privateKey` it
 * rejects with `SignerRequired`.
 *
 * @example
 * const inference = await createInferenceClient({ privateKey, rpcUrl, network: "devnet" })
 */
export const createInferenceClient = (options: ConnectionOptions): Promise<InferenceClient> =>
  // Without `signer` or `privateKey` the stack fails with the typed `SignerRequired`.
  inferenceClientOn(makeFacadeRuntime(inferenceLayerOn(connectionStackLayer(options), options)))

/** The client over an existing runtime (e.g. a broker's shared connection); disposes it when connecting fails. */
export const inferenceClientOn = async (runtime: FacadeRuntime<InferenceStack>): Promise<InferenceClient> => {
  let resolved: { address: string; requests: InferenceRequests["Service"]; usage: UsageMeter["Service"] }
  try {
    resolved = await runtime.run(
      Effect.gen(function* () {
        const requests = yield* InferenceRequests
        const usage = yield* UsageMeter
        const auth = yield* RequestAuth
        return { address: auth.user, requests, usage }
      }),
    )
  } catch (e) {
    await runtime.dispose()
    throw e
  }
  const { address, requests, usage } = resolved
  const run = runtime.run
  return {
    ...readerMethods(runtime),
    address,
    acknowledge: (provider, o = {}) => {
      const { fund: amount, ...rest } = o
      return run(
        Effect.flatMap(neuron(amount), (fund) =>
          Attestation.use((a) => a.acknowledge(provider, { ...rest, ...(fund === undefined ? {} : { fund }) })),
        ),
      )
    },
    fundingStatus: (provider, policy) => run(Funding.use((f) => f.status(provider, policy))),
    ensureFunded: (provider, policy) => run(Funding.use((f) => f.ensure(provider, policy))),
    startAutoTopUp: async (provider, o) => {
      const handle = await run(Funding.use((f) => f.startAutoTopUp(provider, o)))
      return {
        provider: handle.provider,
        stats: handle.stats,
        checkNow: () => run(handle.checkNow),
        stop: () => run(handle.stop),
      }
    },
    fetch: (provider, o) => requests.fetch(provider, o),
    openAIOptions: (provider, o) => run(requests.openAIOptions(provider, o)),
    apiKeys: {
      create: (provider, o) => run(ApiKeys.use((k) => k.create(provider, o))),
      list: (provider) => run(ApiKeys.use((k) => k.list(provider))),
      revoke: (provider, ids) => run(ApiKeys.use((k) => k.revoke(provider, ids))),
      revokeAll: (provider) => run(ApiKeys.use((k) => k.revokeAll(provider))),
    },
    adapters: {
      list: (provider) => run(listAdapters(provider)),
      status: (provider, name) => run(adapterStatus(provider, name)),
      deploy: (provider, task) => run(deployAdapter(provider, task)),
      waitUntilActive: (provider, name, o) => run(waitForAdapter(provider, name, o)),
    },
    usage: () => usage.summary(),
    usageRecords: () => usage.records(),
    run: (effect) => run(effect),
  }
}
