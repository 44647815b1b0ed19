/**
 * Typed failures of the inference client. Each carries the fields a program can act on and a one-line human message.
 * No error ever holds a secret: session tokens and API keys are never copied into errors.
 */
import { describeCause, formatZG } from "@0g-compute/core"
import { Data } from "effect"

const short = (hex: string) => (hex.length > 20 ? `${hex.slice(0, 10)}…${hex.slice(-8)}` : hex)
const causeText = (cause: unknown) => (cause === undefined ? "" : describeCause(cause))

// ── Discovery and provider HTTP ───────────────────────────────────────────────────────────────────────────────────

/** No inference service is registered for this provider address. */
export class ServiceNotFound extends Data.TaggedError("ServiceNotFound")<{ readonly provider: string }> {
  override get message() {
    return `No inference service is registered for provider ${this.provider}`
  }
}

/** Shared with every provider client; lives in the core catalogue. */
export { MalformedProviderResponse, ProviderHttpError, ProviderUnreachable } from "@0g-compute/core"

/** A request URL outside the provider's service URL: the client refuses to attach credentials to it. */
export class UrlNotForProvider extends Data.TaggedError("UrlNotForProvider")<{
  readonly provider: string
  readonly url: string
  readonly serviceUrl: string
}> {
  override get message() {
    return `Refusing to send credentials for provider ${this.provider} to ${this.url} (service URL ${this.serviceUrl})`
  }
}

/** A request body the adapter cannot send byte-exactly (for example a one-shot stream that was already read). */
export class UnsupportedRequest extends Data.TaggedError("UnsupportedRequest")<{ readonly reason: string }> {
  override get message() {
    return `Unsupported request: ${this.reason}`
  }
}

/**
 * The request's route does not belong to the provider's service type (e.g. an image generation sent to a chatbot, or
 * a chat sent to a speech-to-text service): refused before anything is sent, so nothing is billed.
 */
export class ServiceTypeMismatch extends Data.TaggedError("ServiceTypeMismatch")<{
  readonly provider: string
  /** The service type registered on chain. */
  readonly serviceType: string
  /** The route called, below the service URL (e.g. "/v1/proxy/images/generations"). */
  readonly route: string
  /** The service type that route is for. */
  readonly routeServiceType: string
}> {
  override get message() {
    return `Provider ${this.provider} is a ${this.serviceType} service; ${this.route} is a ${this.routeServiceType} route`
  }
}

// ── Admission (what the provider refuses before serving) ──────────────────────────────────────────────────────────

/** The TEE signer not acknowledged (`level` owner or user): shared with fine-tuning, in the core catalogue. */
export { ProviderNotAcknowledged } from "@0g-compute/core"

/** The user has no sub-account with this provider. */
export class SubAccountMissing extends Data.TaggedError("SubAccountMissing")<{
  readonly user: string
  readonly provider: string
}> {
  override get message() {
    return `${this.user} has no inference sub-account with provider ${this.provider}; fund it with \`acknowledge(provider, { fund })\` or \`ledger.transfer(provider, "inference", amount)\``
  }
}

/** The sub-account cannot cover the provider's reserve plus unsettled fees. Amounts in neuron when known. */
export class InsufficientSubAccountBalance extends Data.TaggedError("InsufficientSubAccountBalance")<{
  readonly provider: string
  readonly required: bigint | undefined
  readonly available: bigint | undefined
}> {
  override get message() {
    const detail =
      this.required !== undefined && this.available !== undefined
        ? `: need ${formatZG(this.required)} 0G locked, have ${formatZG(this.available)} 0G`
        : ""
    return `Insufficient sub-account balance with provider ${this.provider}${detail}; top it up with \`ensureFunded(provider)\` (or keep it funded with \`startAutoTopUp\`)`
  }
}

/** The provider rejected the session token or API key as expired. */
export class TokenExpired extends Data.TaggedError("TokenExpired")<{
  readonly provider: string
  readonly tokenId: number | undefined
}> {
  override get message() {
    return `Provider ${this.provider} rejected the ${this.tokenId === undefined || this.tokenId === 255 ? "session token" : `API key ${this.tokenId}`}: expired`
  }
}

/** The provider rejected the session token or API key as revoked on chain. */
export class TokenRevoked extends Data.TaggedError("TokenRevoked")<{
  readonly provider: string
  readonly tokenId: number | undefined
}> {
  override get message() {
    return `Provider ${this.provider} rejected the ${this.tokenId === undefined || this.tokenId === 255 ? "session token" : `API key ${this.tokenId}`}: revoked on chain`
  }
}

/** The provider rejected the credentials for another reason (malformed, wrong provider, bad signature). */
export class TokenRejected extends Data.TaggedError("TokenRejected")<{
  readonly provider: string
  readonly detail: string
}> {
  override get message() {
    return `Provider ${this.provider} rejected the credentials: ${this.detail}`
  }
}

// ── Response verification ─────────────────────────────────────────────────────────────────────────────────────────

/** The service is not TEE-verifiable (verifiability is not TeeML, or its additionalInfo is not valid JSON). */
export class ServiceNotVerifiable extends Data.TaggedError("ServiceNotVerifiable")<{
  readonly provider: string
  readonly reason: string
}> {
  override get message() {
    return `Provider ${this.provider} cannot be verified: ${this.reason}`
  }
}

/** What the TEE signed against what we hold: the fields of the two hash mismatches below. */
export interface HashMismatch {
  readonly provider: string
  readonly chatId: string | undefined
  readonly signedHash: string
  readonly actualHash: string
}

/** The response bytes differ from the bytes the TEE signed: at least one byte was altered. */
export class ResponseTampered extends Data.TaggedError("ResponseTampered")<HashMismatch> {
  override get message() {
    return `Response from provider ${this.provider} was altered: signed hash ${short(this.signedHash)}, received ${short(this.actualHash)}`
  }
}

/** The TEE signed a different request body than the one sent (the provider rewrote or replaced it). */
export class RequestAltered extends Data.TaggedError("RequestAltered")<HashMismatch> {
  override get message() {
    return `Provider ${this.provider} signed a different request (${short(this.signedHash)}) than the one sent (${short(this.actualHash)})`
  }
}

/** The response signature recovers to an address other than the provider's acknowledged TEE signer. */
export class WrongResponseSigner extends Data.TaggedError("WrongResponseSigner")<{
  readonly provider: string
  readonly chatId: string | undefined
  readonly expected: string
  readonly recovered: string
}> {
  override get message() {
    return `Response from provider ${this.provider} was signed by ${this.recovered}, not its TEE signer ${this.expected}`
  }
}

/** The provider has no signature for the exchange (404/expired/empty), so the response cannot be verified. */
export class ResponseSignatureMissing extends Data.TaggedError("ResponseSignatureMissing")<{
  readonly provider: string
  readonly chatId: string | undefined
}> {
  override get message() {
    return `Provider ${this.provider} returned no signature for chat ${this.chatId ?? "(no chat id)"}; the response is unverified`
  }
}

/** The signature or the signed text is malformed (not 65 bytes, not `sha256:sha256`). */
export class MalformedResponseSignature extends Data.TaggedError("MalformedResponseSignature")<{
  readonly provider: string
  readonly chatId: string | undefined
  readonly reason: string
}> {
  override get message() {
    return `Provider ${this.provider} returned a malformed signature for chat ${this.chatId ?? "?"}: ${this.reason}`
  }
}

/** A separated provider's TEE signed a text whose preimage cannot be checked, and the caller requires binding. */
export class ResponseBindingUnknown extends Data.TaggedError("ResponseBindingUnknown")<{
  readonly provider: string
  readonly chatId: string | undefined
}> {
  override get message() {
    return `Provider ${this.provider}: the signature is valid but does not bind the exchanged bytes (separated TEE)`
  }
}

/** The provider failed in the middle of a streamed response (error event, 5xx relay, truncated stream). */
export class ProviderStreamFailed extends Data.TaggedError("ProviderStreamFailed")<{
  readonly provider: string
  readonly chatId: string | undefined
  readonly detail: string
}> {
  override get message() {
    return `Provider ${this.provider} failed mid-stream: ${this.detail}`
  }
}

// ── Attestation, acknowledgement, funding, API keys ──────────────────────────────────────────────────────────────

/** The attestation checks did not pass and the caller did not opt in to an unverified provider. */
export class AttestationRejected extends Data.TaggedError("AttestationRejected")<{
  readonly provider: string
  /** Names of the checks that failed (or are devnet-only). */
  readonly failed: ReadonlyArray<string>
}> {
  override get message() {
    return `Provider ${this.provider} failed attestation (${this.failed.join(", ")}); pass allowUnverified (or allowDevnet on a devnet) to accept it`
  }
}

/** Intel TDX collateral could not be obtained from the PCCS. */
export class CollateralUnavailable extends Data.TaggedError("CollateralUnavailable")<{
  readonly pccsUrl: string
  readonly cause: unknown
}> {
  override get message() {
    return `Cannot fetch TDX collateral from ${this.pccsUrl}: ${causeText(this.cause)}`
  }
}

/** Every API key id 0..254 is issued or revoked in the current generation. */
export class ApiKeyIdsExhausted extends Data.TaggedError("ApiKeyIdsExhausted")<{ readonly provider: string }> {
  override get message() {
    return `All 255 API key ids for provider ${this.provider} are issued or revoked; revoke all keys to start a new generation`
  }
}

/** The requested API key id cannot be used: already issued in this generation, or its revocation bit is set. */
export class ApiKeyIdUnavailable extends Data.TaggedError("ApiKeyIdUnavailable")<{
  readonly provider: string
  readonly tokenId: number
  readonly reason: "issued" | "revoked" | "out-of-range"
}> {
  override get message() {
    return this.reason === "out-of-range"
      ? `API key id ${this.tokenId} is out of range (0..254)`
      : `API key id ${this.tokenId} for provider ${this.provider} is ${this.reason === "issued" ? "already issued" : "revoked"} in this generation`
  }
}

/** The key store could not be read or written. */
export class KeyStoreError extends Data.TaggedError("KeyStoreError")<{
  readonly operation: string
  readonly cause: unknown
}> {
  override get message() {
    return `API key store ${this.operation} failed: ${causeText(this.cause)}`
  }
}
