/**
 * Verification of one exchange (inference-protocol.md §9.4): fetch the TEE signature for the chat id, recover the
 * signer of the signed text, and compare the text with sha256(sent bytes):sha256(received bytes) computed by us.
 * The outcome is a typed verdict (`Receipt`) or a distinct typed error — never a boolean.
 *
 * The hashes are passed in (streams hash incrementally as chunks pass through), so this composes crypto's
 * `recoverSigner`/`personalDigest` instead of `verifyResponseSignature`, which needs the whole body in hand.
 */
import { parseSignature, personalDigest, recoverPublicKeyFromDigest } from "@0g-compute/crypto"
import { Effect } from "effect"
import { computeAddress, getAddress } from "ethers"
import { InferenceConfig } from "../config.js"
import {
  type MalformedProviderResponse,
  MalformedResponseSignature,
  ProviderNotAcknowledged,
  type ProviderUnreachable,
  RequestAltered,
  ResponseBindingUnknown,
  ResponseSignatureMissing,
  ResponseTampered,
  ServiceNotVerifiable,
  WrongResponseSigner,
} from "../errors.js"
import { type ProviderRejection, providerJson } from "../http.js"
import { SignaturePayload } from "../schemas.js"
import type { ServiceView } from "../service-view.js"
import { rememberSignerKey, signedByKnownKey } from "./signer-check.js"

export interface Receipt {
  readonly _tag: "Verified" | "BindingUnknown"
  readonly provider: string
  readonly chatId: string
  /** The recovered signer (EIP-55): the expected TEE signer. */
  readonly signer: string
  readonly text: string
  readonly signature: string
  /** sha256 of the bytes we sent / received, lower-case hex. */
  readonly requestHash: string
  readonly responseHash: string
}

export type VerificationError =
  | ServiceNotVerifiable
  | ProviderNotAcknowledged
  | ResponseSignatureMissing
  | MalformedResponseSignature
  | WrongResponseSigner
  | RequestAltered
  | ResponseTampered
  | ResponseBindingUnknown
  | ProviderUnreachable
  | ProviderRejection
  | MalformedProviderResponse

/** The tags of verification failures that mean "do not trust these bytes" (as opposed to "could not ask"). */
export const VERIFICATION_FAILURE_TAGS = [
  "ResponseTampered",
  "RequestAltered",
  "WrongResponseSigner",
  "ResponseSignatureMissing",
  "MalformedResponseSignature",
  "ResponseBindingUnknown",
] as const

/** Checks that need no network: why this service's responses cannot be verified, or undefined when they can. */
export const verificationRefusal = (
  service: ServiceView,
): ServiceNotVerifiable | ProviderNotAcknowledged | undefined => {
  if (service.notVerifiableReason !== undefined) {
    return new ServiceNotVerifiable({ provider: service.provider, reason: service.notVerifiableReason })
  }
  if (!service.teeSignerAcknowledged) return new ProviderNotAcknowledged({ provider: service.provider, level: "owner" })
  return undefined
}

/** Effect form of {@link verificationRefusal}. */
export const verifiable = (
  service: ServiceView,
): Effect.Effect<void, ServiceNotVerifiable | ProviderNotAcknowledged> => {
  const refusal = verificationRefusal(service)
  return refusal === undefined ? Effect.void : Effect.fail(refusal)
}

const TEXT_FORM = /^([0-9a-f]{64}):([0-9a-f]{64})$/

/**
 * The EIP-191 signer of `text` must be the expected TEE signer. Once a signer's key is known, a signature is checked
 * against it directly (signer-check.ts); otherwise (first response, or a mismatch to report) it is recovered.
 */
const checkSigner = (service: ServiceView, chatId: string, text: string, signature: string) =>
  Effect.gen(function* () {
    const provider = service.provider
    const expected = service.expectedSigner
    const malformed = (e: { readonly reason?: string; readonly message: string }) =>
      new MalformedResponseSignature({ provider, chatId, reason: e.reason ?? e.message })
    const sig = yield* Effect.mapError(parseSignature("response", signature), malformed)
    const digest = personalDigest(text)
    if (signedByKnownKey(expected, digest, BigInt(sig.r), BigInt(sig.s), sig.yParity)) return getAddress(expected)
    const publicKey = yield* Effect.mapError(recoverPublicKeyFromDigest("response", digest, signature), malformed)
    const recovered = computeAddress(publicKey)
    if (recovered.toLowerCase() !== expected.toLowerCase()) {
      return yield* new WrongResponseSigner({ provider, chatId, expected, recovered })
    }
    rememberSignerKey(expected, publicKey)
    return recovered
  })

/** Fetches the signature, retrying a miss briefly (older brokers sign only after the last byte). */
const fetchSignature = (service: ServiceView, chatId: string) =>
  Effect.gen(function* () {
    const config = yield* InferenceConfig
    const query = service.separated ? `?model=${encodeURIComponent(service.model)}` : ""
    const url = `${service.url}/v1/proxy/signature/${encodeURIComponent(chatId)}${query}`
    const missing = new ResponseSignatureMissing({ provider: service.provider, chatId })
    let delay = config.signatureRetryDelayMs
    for (let attempt = 1; ; attempt++) {
      const r = yield* Effect.result(
        providerJson({ provider: service.provider, url }, SignaturePayload, "response signature"),
      )
      if (r._tag === "Success") return r.success
      const e = r.failure
      const miss = e._tag === "ProviderHttpError" && (e.status === 404 || /chat_id_not_found|not found/i.test(e.detail))
      if (!miss) return yield* e
      if (attempt >= config.signatureAttempts) return yield* missing
      yield* Effect.sleep(delay)
      delay *= 2
    }
  })

export interface ExchangeHashes {
  readonly requestHash: string
  readonly responseHash: string
}

/** Verifies one exchange given the hashes of the exact bytes sent and received. */
export const verifyExchange = (
  service: ServiceView,
  chatId: string | undefined,
  hashes: ExchangeHashes,
): Effect.Effect<Receipt, VerificationError> =>
  Effect.gen(function* () {
    yield* verifiable(service)
    const provider = service.provider
    if (chatId === undefined || chatId === "") return yield* new ResponseSignatureMissing({ provider, chatId })
    const signed = yield* fetchSignature(service, chatId)
    if (signed.signature === "" || signed.text === "") return yield* new ResponseSignatureMissing({ provider, chatId })
    const signer = yield* checkSigner(service, chatId, signed.text, signed.signature)
    const base = { provider, chatId, signer, text: signed.text, signature: signed.signature, ...hashes }
    const form = TEXT_FORM.exec(signed.text.toLowerCase())
    if (form === null) {
      if (!service.separated) {
        return yield* new MalformedResponseSignature({ provider, chatId, reason: "signed text is not sha256:sha256" })
      }
      const config = yield* InferenceConfig
      if (config.requireResponseBinding) return yield* new ResponseBindingUnknown({ provider, chatId })
      return { _tag: "BindingUnknown", ...base } satisfies Receipt
    }
    const [, signedRequest = "", signedResponse = ""] = form
    if (signedRequest !== hashes.requestHash) {
      return yield* new RequestAltered({ provider, chatId, signedHash: signedRequest, actualHash: hashes.requestHash })
    }
    if (signedResponse !== hashes.responseHash) {
      return yield* new ResponseTampered({
        provider,
        chatId,
        signedHash: signedResponse,
        actualHash: hashes.responseHash,
      })
    }
    return { _tag: "Verified", ...base } satisfies Receipt
  })
