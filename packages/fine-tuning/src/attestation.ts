/**
 * The fine-tuning provider's quote (`GET /v1/quote`, inference-protocol.md §10) and the user's acknowledgement of its
 * TEE signer. The checks are inference's attestation report when the caller passes `assess` (`quoteAssessor()` of
 * @0g-compute/inference: DCAP, RTMR3 replay, measurement pins — the CLI and createBroker do), else the JSON-level
 * checks below, which can accept a devnet quote on the devnet and nothing else without `allowUnverified`.
 *
 * Refused whatever the opt-ins: a quote that binds another signer, a devnet quote off the devnet chain (31337), a
 * pinned compose hash or image that differs.
 */

import { Ledger } from "@0g-compute/contracts"
import { Chain } from "@0g-compute/core"
import { bodyHashHex, quoteJsonField } from "@0g-compute/crypto"
import { Data, Effect, Option } from "effect"
import { getAccountRecord, sendServing } from "./chain.js"
import { ProviderNotVetted, QuoteInvalid, QuoteSignerMismatch } from "./errors.js"
import { readText, send } from "./http.js"
import { endpoint, fundSubAccount } from "./providers.js"

/** The local devnet's chain id: the only chain on which a devnet (emulated) quote is acceptable. */
export const DEVNET_CHAIN_ID = 31337n

export interface QuoteCheck {
  readonly status: string
  readonly detail: string
}

/** An attestation report, as @0g-compute/inference's `quoteAssessor()` makes it (structurally). */
export interface QuoteAssessment {
  readonly verdict: "verified" | "devnet" | "unverified"
  readonly environment: string
  readonly failed: ReadonlyArray<string>
  readonly checks: Readonly<Record<string, QuoteCheck>>
  readonly refusal?: { readonly reason: string; readonly detail: string } | undefined
}

export interface QuoteAssessInput {
  readonly provider: string
  readonly url: string
  readonly teeSignerAddress: string
  readonly chainId: bigint
  readonly quote: unknown
  readonly expectComposeHash?: string
  readonly expectImage?: string
}

export type QuoteAssessor = (input: QuoteAssessInput) => Promise<QuoteAssessment>

export interface ProviderAttestationOptions {
  /** Accept a devnet quote whose checks pass (on chain 31337 only). */
  readonly allowDevnet?: boolean
  /** Accept a provider whose checks fail (not a refusal: wrong signer, devnet off the devnet, a pin that differs). */
  readonly allowUnverified?: boolean
  /** Expected compose hash (sha256 of app_compose, hex). */
  readonly expectComposeHash?: string
  /** Expected image digest (`sha256:…`) or reference; needs `assess`. */
  readonly expectImage?: string
  /** The attestation report to run (inference's `quoteAssessor()`); without it, JSON-level checks only. */
  readonly assess?: QuoteAssessor
}

/** The quote's checks failed and the caller did not opt in. */
export class QuoteRejected extends Data.TaggedError("QuoteRejected")<{
  readonly provider: string
  readonly verdict: QuoteAssessment["verdict"]
  readonly failed: ReadonlyArray<string>
}> {
  override get message() {
    return `Fine-tuning provider ${this.provider} failed attestation (${this.failed.join(", ")}); pass allowUnverified (or allowDevnet on a devnet) to accept it`
  }
}

/** What no opt-in accepts: a devnet quote off the devnet chain, a pinned measurement that differs. */
export class QuoteRefused extends Data.TaggedError("QuoteRefused")<{
  readonly provider: string
  readonly reason: string
  readonly detail: string
}> {
  override get message() {
    return `Fine-tuning provider ${this.provider} refused: ${this.detail}`
  }
}

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
  /** The quote verified as TEE hardware (only with `assess`: DCAP against Intel's root). */
  readonly quoteVerified: boolean
  /** The quote says it comes from the local devnet emulator (no TEE). */
  readonly devnet: boolean
  readonly chainId: bigint
  /** The attestation report: inference's (with `assess`) or the JSON-level one. */
  readonly attestation: QuoteAssessment
  readonly assessedBy: "inference-attestation" | "json-level"
  readonly ownerAcknowledged: boolean
}

const check = (status: string, detail: string): QuoteCheck => ({ status, detail })

/** The JSON-level report, for callers without inference's assessor. */
const jsonLevel = (
  facts: { devnet: boolean; composeHash: ProviderVerification["composeHash"]; proven: string | undefined },
  chainId: bigint,
  pins: Pick<ProviderAttestationOptions, "expectComposeHash" | "expectImage">,
): QuoteAssessment => {
  const onDevnet = chainId === DEVNET_CHAIN_ID
  const quoteSignature = !facts.devnet
    ? check("fail", "not verified: hardware quotes need the attestation report (pass assess)")
    : onDevnet
      ? check("devnet", "devnet quote: emulated, not signed by TEE hardware")
      : check("fail", `devnet quote on chain ${chainId}: accepted only on the local devnet (chain ${DEVNET_CHAIN_ID})`)
  const want = pins.expectComposeHash
    ?.trim()
    .toLowerCase()
    .replace(/^(0x|sha256:)/, "")
  const composePinned = !want
    ? check("unpinned", "no compose hash pinned")
    : facts.proven === want
      ? check("pass", `compose hash ${want} is the pinned one`)
      : check("fail", `compose hash ${facts.proven ?? "unproven"}, pinned ${want}`)
  const imagePinned = pins.expectImage
    ? check("fail", "an image pin needs the attestation report (pass assess)")
    : check("unpinned", "no image pinned")
  const checks = {
    signerBound: check("pass", "report_data names the on-chain TEE signer"),
    composeHash: check(facts.composeHash === "match" ? "pass" : "fail", `compose hash ${facts.composeHash}`),
    quoteSignature,
    composePinned,
    imagePinned,
  }
  const failed = Object.entries(checks)
    .filter(([, c]) => c.status === "fail" || c.status === "devnet")
    .map(([n]) => n)
  const verdict =
    failed.length === 0
      ? "verified"
      : failed.every((n) => n === "quoteSignature") && facts.devnet && onDevnet
        ? "devnet"
        : "unverified"
  const refusal =
    facts.devnet && !onDevnet
      ? { reason: "devnet-quote-off-devnet", detail: quoteSignature.detail }
      : composePinned.status === "fail"
        ? { reason: "compose-hash-mismatch", detail: composePinned.detail }
        : imagePinned.status === "fail"
          ? { reason: "image-mismatch", detail: imagePinned.detail }
          : undefined
  return { verdict, environment: facts.devnet ? "devnet" : "unknown", failed, checks, refusal }
}

/** Downloads the quote and runs the attestation report on it; a quote binding another signer fails. */
export const verifyProvider = (provider: string, options: ProviderAttestationOptions = {}) =>
  Effect.gen(function* () {
    const chain = yield* Chain
    const { service, ep } = yield* endpoint(provider)
    const text = yield* readText(ep, yield* send(ep, "GET", "/quote"))
    const quote = quoteJsonField(text) as Record<string, unknown> | undefined
    if (typeof quote !== "object" || quote === null) return yield* new QuoteInvalid({ provider, reason: "not JSON" })
    const reportData = quote.report_data
    if (typeof reportData !== "string" || reportData === "") {
      return yield* new QuoteInvalid({ provider, reason: "empty report_data" })
    }
    let binary: string
    try {
      binary = atob(reportData)
    } catch {
      return yield* new QuoteInvalid({ provider, reason: "report_data is not base64" })
    }
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    const reportedSigner = new TextDecoder().decode(bytes).replace(/\0+$/, "").trim()
    const signerBound = reportedSigner.toLowerCase() === service.teeSigner.toLowerCase()
    if (!signerBound) {
      return yield* new QuoteSignerMismatch({ provider, reported: reportedSigner, onChain: service.teeSigner })
    }
    const tcb = quoteJsonField(quote.tcb_info ?? (quote.info as Record<string, unknown> | undefined)?.tcb_info) as
      | { app_compose?: unknown }
      | undefined
    const events = quoteJsonField(quote.event_log)
    const composeEvent = Array.isArray(events)
      ? (events as Array<{ event?: unknown; event_payload?: unknown }>).find((e) => e?.event === "compose-hash")
      : undefined
    let composeHash: ProviderVerification["composeHash"] = "absent"
    let proven: string | undefined
    if (typeof tcb?.app_compose === "string" && typeof composeEvent?.event_payload === "string") {
      const h = bodyHashHex(tcb.app_compose)
      composeHash = h === composeEvent.event_payload.toLowerCase() ? "match" : "mismatch"
      if (composeHash === "match") proven = h
    }
    const chainId = chain.chainId
    const devnet = quote.devnet === true
    const pins = {
      ...(options.expectComposeHash === undefined ? {} : { expectComposeHash: options.expectComposeHash }),
      ...(options.expectImage === undefined ? {} : { expectImage: options.expectImage }),
    }
    const assess = options.assess
    const attestation =
      assess === undefined
        ? jsonLevel({ devnet, composeHash, proven }, chainId, pins)
        : yield* Effect.tryPromise({
            try: () =>
              assess({
                provider: service.provider,
                url: service.url,
                teeSignerAddress: service.teeSigner,
                chainId,
                quote,
                ...pins,
              }),
            catch: (e) =>
              new QuoteInvalid({
                provider,
                reason: `attestation failed: ${e instanceof Error ? e.message : String(e)}`,
              }),
          })
    return {
      provider: service.provider,
      url: service.url,
      teeSigner: service.teeSigner,
      reportedSigner,
      signerBound,
      composeHash,
      quoteVerified: attestation.verdict === "verified" && attestation.environment !== "devnet",
      devnet,
      chainId,
      attestation,
      assessedBy: assess === undefined ? "json-level" : "inference-attestation",
      ownerAcknowledged: service.teeSignerAcknowledged,
    } satisfies ProviderVerification
  })

export interface AcknowledgeProviderOptions extends ProviderAttestationOptions {
  /** neuron for a sub-account that does not exist yet (default: the ledger's MIN_TRANSFER_AMOUNT). */
  readonly fund?: bigint
}

export interface ProviderAcknowledgement {
  readonly verification: ProviderVerification
  /** Set when a transaction was sent (funding a new sub-account, or the acknowledgement itself). */
  readonly txHash: string | undefined
  /** neuron moved into a newly created sub-account. */
  readonly funded: bigint
}

/**
 * Verifies the quote (refused, or rejected without the matching opt-in, before any transaction), then acknowledges
 * the TEE signer on chain. A missing sub-account is created with `fund`, which acknowledges it; an unacknowledged one
 * gets `acknowledgeTEESigner(provider, true)`; nothing is sent when it is already acknowledged.
 */
export const acknowledgeProvider = (provider: string, options: AcknowledgeProviderOptions = {}) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger
    const verification = yield* verifyProvider(provider, options)
    const a = verification.attestation
    if (a.refusal !== undefined) {
      return yield* new QuoteRefused({
        provider: verification.provider,
        reason: a.refusal.reason,
        detail: a.refusal.detail,
      })
    }
    const accepted =
      a.verdict === "verified" ||
      options.allowUnverified === true ||
      (a.verdict === "devnet" && options.allowDevnet === true)
    if (!accepted)
      return yield* new QuoteRejected({ provider: verification.provider, verdict: a.verdict, failed: a.failed })
    if (!verification.ownerAcknowledged) return yield* new ProviderNotVetted({ provider })
    const account = yield* getAccountRecord(verification.provider)
    if (Option.isNone(account)) {
      const amount = options.fund ?? (yield* ledger.limits).minTransferAmount
      const tx = yield* fundSubAccount(verification.provider, amount)
      return { verification, txHash: tx.hash, funded: amount } satisfies ProviderAcknowledgement
    }
    if (account.value.acknowledged) return { verification, txHash: undefined, funded: 0n }
    const tx = yield* sendServing("acknowledgeTEESigner", [verification.provider, true])
    return { verification, txHash: tx.hash, funded: 0n } satisfies ProviderAcknowledgement
  })
