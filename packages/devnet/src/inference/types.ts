/**
 * Public shapes of the emulated inference provider: options, the running provider, fault switches, settlement
 * reports and the events it reports instead of logging.
 */
import type { Redacted } from "effect"
import type { Signer } from "ethers"
import type { BrokerMode } from "./broker2026.js"
import type { HostileMode, HostileObserver } from "./hostile.js"
import type { LoraAdapters } from "./lora.js"
import type { EmulatedServiceType } from "./media.js"
import type { EmulatedBilling } from "./pricing.js"

/** Test-only faults, settable at runtime. Each stays on until cleared. */
export interface InferenceFaults {
  /** Flip one byte of the response body after it was hashed and signed (the signature then fails to verify). */
  readonly flipResponseByte?: boolean
  /** Sign responses with a key other than the on-chain TEE signer. */
  readonly wrongSigner?: boolean
  /** Never cache the signature: the signature route answers 404 for every new chat id. */
  readonly dropSignature?: boolean
  /** Streams: after the first chunk, an SSE error event and the end of the body, without `[DONE]`. Non-streams: 500. */
  readonly failMidStream?: boolean
  /** Delay the server awaits between response chunks (ms). */
  readonly streamDelayMs?: number
  /** Answer chats (or, for `stallSignatureBody`, signature GETs) in a hostile way (hostile.ts); nothing billed. */
  readonly hostile?: HostileMode | undefined
  /** 2026 centralized providers: the routing proof names this upstream instead of the registered identity. */
  readonly forgeRoutingIdentity?: string | undefined
  /**
   * 2026 centralized providers: the TEE signs the plain `sha256(req):sha256(res)` with no routing proof (a broker
   * configured decentralized behind a centralized registration), so nothing names the upstream that answered.
   */
  readonly omitRoutingProof?: boolean
  /**
   * The offline model reports this `completion_tokens` (any JSON integer the broker's Go `int` takes, e.g. 2 ** 60):
   * billed and signed as reported, since the broker trusts the upstream's usage.
   */
  readonly reportCompletionTokens?: number
  /**
   * The offline model adds `"Usage":{"completion_tokens":N}` after its `usage`: the broker's Go decoding matches keys
   * in any case and merges the second object into the first, so it bills N; `JSON.parse` keeps the two apart.
   */
  readonly shadowUsage?: number
  /** The offline model names its usage object with this key (e.g. `"USAGE"`), which Go's decoding matches. */
  readonly usageKey?: string
  /**
   * Streams: after the usage chunk, an SSE error event (`after: "errorEvent"`) or a 2 MiB content event
   * (`"hugeEvent"`), then a second usage chunk with `completionTokens` before `[DONE]`. The broker reads every line up
   * to `[DONE]` (an error line holds no usage; it reads on after the client left), so it bills the second one.
   */
  /**
   * The upstream answers chats with this status instead of 200 (e.g. 201): the broker relays any non-200 verbatim,
   * neither billed nor signed.
   */
  readonly upstreamStatus?: number
  /** Headers added to a chat answer (e.g. the client's own `x-zg-verified`, to see that it is not believed). */
  readonly spoofHeaders?: Readonly<Record<string, string>>
  /**
   * Non-stream chats are answered in Anthropic's message shape (`type`, `content`, `usage.input_tokens` /
   * `output_tokens`), which the broker detects and bills by that usage (chatbot_litellm.go).
   */
  readonly anthropicShape?: boolean
  readonly lateUsage?: { readonly completionTokens: number; readonly after: "errorEvent" | "hugeEvent" }
  /**
   * Refuse (403) a `/v1/proxy` request carrying a header a browser would have to preflight and the broker's CORS does
   * not allow (anything beyond Content-Type, Authorization, X-Requested-With, Accept, Origin and what browsers set).
   */
  readonly corsPreflight?: boolean
  /** Added to what `GET /v1/user/{addr}/unsettledfee` reports (neuron); the real ledger is unchanged. */
  readonly inflateUnsettledFee?: bigint
}

export interface FaultSwitches {
  /** The faults in force now. */
  readonly current: () => InferenceFaults
  /** Merges `faults` into the current set (a `false`/`0` value switches one off). */
  readonly set: (faults: InferenceFaults) => void
  /** Switches every fault off. */
  readonly clear: () => void
  /** How hostile responses ended (await `nextClose()` to see a client's cancellation arrive). */
  readonly hostile: HostileObserver
}

/** One settlement item as the contract reported it (`TEESettlementResult`). */
export interface SettlementItemResult {
  readonly user: string
  readonly nonce: bigint
  readonly totalFee: bigint
  /** 0 SUCCESS, 1 PARTIAL, 2 PROVIDER_MISMATCH, 3 NO_TEE_SIGNER, 4 INVALID_NONCE, 5 INVALID_SIGNATURE. */
  readonly status: number
  readonly unsettledAmount: bigint
  /** What moved to the provider: totalFee − unsettledAmount for SUCCESS/PARTIAL, 0 otherwise. */
  readonly settledAmount: bigint
  /** How many request records this item covered. */
  readonly requests: number
  readonly txHash: string
}

export interface SettlementReport {
  readonly items: ReadonlyArray<SettlementItemResult>
  readonly txHashes: ReadonlyArray<string>
  /** Σ settledAmount. */
  readonly settled: bigint
}

/** What the provider reports instead of logging. */
export type InferenceProviderEvent =
  | { readonly _tag: "Billed"; readonly chatId: string; readonly user: string; readonly fee: bigint }
  | { readonly _tag: "Settled"; readonly report: SettlementReport }
  | { readonly _tag: "SettlementFailed"; readonly error: unknown }
  /** A request that ended in a 5xx (the client only sees the generic status text). */
  | { readonly _tag: "RequestFailed"; readonly method: string; readonly path: string; readonly error: unknown }

export interface InferenceProviderOptions {
  readonly rpcUrl: string
  /** Default: asked from the node. */
  readonly chainId?: bigint
  /** The InferenceServing proxy address. */
  readonly contract: string
  /** The provider wallet: registers the service and sends settlements. */
  readonly providerKey: Redacted.Redacted<string>
  /** The TEE signer key: signs responses and settlements; never sends transactions. */
  readonly teeKey: Redacted.Redacted<string>
  /** Default `devnet-echo-1`. */
  readonly model?: string
  /** Neuron per prompt token; default 1 gwei. */
  readonly inputPrice?: bigint
  /** Neuron per completion token; default 2 gwei. */
  readonly outputPrice?: bigint
  /** Loopback port; a free one by default. */
  readonly port?: number
  /** OpenAI-compatible base URL (e.g. `http://127.0.0.1:8000/v1`) to proxy to instead of the offline model. */
  readonly upstream?: string
  /** Bearer key for the upstream, if it needs one (never logged, never forwarded from clients). */
  readonly upstreamApiKey?: Redacted.Redacted<string>
  /** Settlement timer period in ms; 0 disables the timer (settleNow and POST /admin/settle still work). Default 5000. */
  readonly settleIntervalMs?: number
  /** Register (or update) the service with the server's real URL. Default true. */
  readonly register?: boolean
  /** The contract owner: acknowledges the TEE signer after registration when given. */
  readonly acknowledgeWith?: Signer
  readonly onEvent?: (event: InferenceProviderEvent) => void
  /** Bill as the 2026 broker can: tiers, cache-read/-write prices, per-model prices (pricing.ts). */
  readonly billing?: EmulatedBilling
  /**
   * Behave as the 2026 broker (broker2026.ts): provider type (decentralized / centralized / standard), request
   * rewriting, client-facing signed bytes, 400s, lenient tokens. Absent: the late-2025 broker, as before.
   */
  readonly broker?: BrokerMode
  /**
   * The service type registered and served (media.ts): "chatbot" (default), "text-to-image", "image-editing",
   * "speech-to-text". Also settable as `broker.serviceType`.
   */
  readonly serviceType?: EmulatedServiceType
  /** How long an adapter stays `loading` after a deploy (ms, default 0). */
  readonly loraDeployDelayMs?: number
}

export interface InferenceProvider {
  /** `http://127.0.0.1:<port>`, no trailing slash: the on-chain `Service.url`. */
  readonly url: string
  readonly port: number
  /** The provider wallet address (EIP-55). */
  readonly providerAddress: string
  /** The TEE signer address (EIP-55), `Service.teeSignerAddress`. */
  readonly teeSignerAddress: string
  readonly model: string
  /** Prices registered at start (billing always reads the chain). */
  readonly inputPrice: bigint
  readonly outputPrice: bigint
  readonly faults: FaultSwitches
  /** LoRA adapters: `register` is what the broker's event watcher does when a fine-tuned model is acknowledged. */
  readonly lora: LoraAdapters
  /** Σ unsettled request fees of a user, as `GET /v1/user/{addr}/unsettledfee` reports it. */
  readonly unsettledFee: (user: string) => bigint
  /** Runs one settlement round now (serialised with the timer's rounds). */
  readonly settleNow: () => Promise<SettlementReport>
  /** Stops the timer, waits for a running settlement, closes the server. Idempotent. */
  readonly stop: () => Promise<void>
}
