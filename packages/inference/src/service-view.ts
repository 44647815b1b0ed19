/**
 * `ServiceView`: an on-chain inference service plus everything derived from it that callers and the verifier need —
 * prices as bigint and human strings, parsed additionalInfo, whether responses can be verified and by whom.
 */
import { formatZG, type InferenceService } from "@0g-compute/core"
import { Result } from "effect"
import { type AdditionalInfo, parseAdditionalInfo } from "./schemas.js"

export interface PriceView {
  /** Neuron per token (per image for image services). */
  readonly perToken: bigint
  /** Exact decimal 0G per token, e.g. "0.000000001". */
  readonly perTokenZG: string
  /** Exact decimal 0G per million tokens, e.g. "0.001". */
  readonly perMillionZG: string
}

export interface ServiceView {
  readonly provider: string
  readonly serviceType: string
  /** Base URL without trailing slash; the OpenAI base URL is `${url}/v1/proxy`. */
  readonly url: string
  readonly model: string
  readonly verifiability: string
  readonly inputPrice: PriceView
  readonly outputPrice: PriceView
  readonly updatedAt: bigint
  readonly additionalInfoRaw: string
  /** Parsed additionalInfo, or undefined when it is not valid JSON (see `notVerifiableReason`). */
  readonly additionalInfo: AdditionalInfo | undefined
  readonly teeSignerAddress: string
  /** Owner-level acknowledgement: the contract owner vetted the TEE signer. */
  readonly teeSignerAcknowledged: boolean
  /** The LLM runs in a separate TEE which signs the responses (`TargetSeparated`). */
  readonly separated: boolean
  /**
   * The broker's provider type (additionalInfo `ProviderType`; verifiability "standard" means "standard"):
   * "decentralized" GPU providers, "centralized" API forwarders whose broker TEE signs a routing proof, "standard"
   * forwarders that never sign.
   */
  readonly providerType: ProviderType
  /** Centralized providers: the upstream they forward to (e.g. "openai"), as registered. */
  readonly providerIdentity: string | undefined
  /** The broker's own TEE signer signs responses (not separated, or centralized): the signature key is its chat key. */
  readonly brokerSigned: boolean
  /**
   * Who must have signed responses: the TEE signer; `TargetTeeAddress` for separated decentralized providers (a
   * centralized provider is registered separated with an empty target, but its broker TEE signs).
   */
  readonly expectedSigner: string
  /** `TEEVerifier` (default "dstack"). */
  readonly teeVerifier: string
  /** Why responses cannot be verified, or undefined when they can (TeeML with valid additionalInfo). */
  readonly notVerifiableReason: string | undefined
}

export type ProviderType = "decentralized" | "centralized" | "standard"

const providerTypeOf = (verifiability: string, info: AdditionalInfo | undefined): ProviderType => {
  const declared = info?.ProviderType?.toLowerCase()
  if (verifiability.toLowerCase() === "standard" || declared === "standard") return "standard"
  return declared === "centralized" ? "centralized" : "decentralized"
}

const price = (perToken: bigint): PriceView => ({
  perToken,
  perTokenZG: formatZG(perToken),
  perMillionZG: formatZG(perToken * 1_000_000n),
})

export const toServiceView = (s: InferenceService): ServiceView => {
  const parsed = parseAdditionalInfo(s.additionalInfo)
  const info = Result.isSuccess(parsed) ? parsed.success : undefined
  const separated = info?.TargetSeparated === true
  const target = info?.TargetTeeAddress ?? ""
  const providerType = providerTypeOf(s.verifiability, info)
  const centralized = providerType === "centralized"
  let notVerifiableReason: string | undefined
  if (providerType === "standard") notVerifiableReason = "a standard provider never signs its responses"
  else if (s.verifiability !== "TeeML")
    notVerifiableReason = `verifiability is ${JSON.stringify(s.verifiability)}, not "TeeML"`
  else if (Result.isFailure(parsed)) notVerifiableReason = parsed.failure
  else if (separated && !centralized && !/^0x[0-9a-fA-F]{40}$/.test(target))
    notVerifiableReason = "separated TEE without a TargetTeeAddress"
  else if (/^0x0{40}$/.test(s.teeSignerAddress)) notVerifiableReason = "no TEE signer address"
  return {
    provider: s.provider,
    serviceType: s.serviceType,
    url: s.url.replace(/\/+$/, ""),
    model: s.model,
    verifiability: s.verifiability,
    inputPrice: price(s.inputPrice),
    outputPrice: price(s.outputPrice),
    updatedAt: s.updatedAt,
    additionalInfoRaw: s.additionalInfo,
    additionalInfo: info,
    teeSignerAddress: s.teeSignerAddress,
    teeSignerAcknowledged: s.teeSignerAcknowledged,
    separated,
    providerType,
    providerIdentity: info?.ProviderIdentity,
    brokerSigned: !separated || centralized,
    expectedSigner: separated && !centralized ? target : s.teeSignerAddress,
    teeVerifier: info?.TEEVerifier ?? "dstack",
    notVerifiableReason,
  }
}

/** The provider's fee for a usage (§6.1): prompt × inputPrice + completion × outputPrice. */
export const feeOf = (
  service: Pick<ServiceView, "inputPrice" | "outputPrice">,
  promptTokens: number,
  completionTokens: number,
) => {
  const inputFee = BigInt(promptTokens) * service.inputPrice.perToken
  const outputFee = BigInt(completionTokens) * service.outputPrice.perToken
  return { inputFee, outputFee, fee: inputFee + outputFee }
}
