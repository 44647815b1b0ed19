/**
 * Verification of one exchange (inference-protocol.md §9.4): fetch the TEE signature for the chat id, recover the
 * signer of the signed text, and compare the text with sha256(sent bytes):sha256(received bytes) computed by us.
 * The outcome is a typed verdict (`Receipt`) or a distinct typed error — never a boolean.
 *
 * The hashes are passed in (streams hash incrementally as chunks pass through), so this composes crypto's
 * `recoverSigner`/`personalDigest` instead of `verifyResponseSignature`, which needs the whole body in hand.
 */
import { providerSend } from "@0g-compute/core"
import { type MalformedSignature, parseSignature, recoverPublicKeyFromDigest } from "@0g-compute/crypto"
import { Context, Effect, Result } from "effect"
import { computeAddress, getAddress } from "ethers"
import { InferenceConfig, type InferenceConfigShape } from "../config.js"
import {
  type MalformedProviderResponse,
  MalformedResponseSignature,
  ProviderHttpError,
  ProviderNotAcknowledged,
  ProviderUnreachable,
  RequestAltered,
  ResponseBindingUnknown,
  ResponseSignatureMissing,
  ResponseTampered,
  ServiceNotVerifiable,
  WrongResponseSigner,
} from "../errors.js"
import { mapRejection, type ProviderRejection } from "../http.js"
import { decodeProviderJson, parseProviderJson, SignaturePayload } from "../schemas.js"
import type { ServiceView } from "../service-view.js"
import { personalMessageDigest } from "./digests.js"
import { parseSignedText, type RoutingProof, requestUnbound } from "./levels.js"

export interface Receipt {
  readonly _tag: "Verified" | "BindingUnknown"
  /** How far the signature binds the exchange (levels.ts). */
  readonly level: "bytes-bound" | "signer-bound"
  /** For "signer-bound": which part of the exchange the signature does not bind to our bytes, and why. */
  readonly unbound?: string
  /** Centralized providers: the routing proof's claims (signed by the broker TEE; reported, not checkable here). */
  readonly routing?: RoutingProof
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

/** Runs a synchronous Effect; its failure is thrown as the typed error itself. */
const sync = <A, E>(effect: Effect.Effect<A, E>): A => {
  const r = Effect.runSync(Effect.result(effect))
  if (r._tag === "Success") return r.success
  throw r.failure
}

/** EIP-55 form of each expected signer (getAddress hashes the address: once per signer, not per response). */
const checksummed = new Map<string, string>()
const checksumOf = (address: string): string => {
  let c = checksummed.get(address)
  if (c === undefined) {
    c = getAddress(address)
    if (checksummed.size >= 64) checksummed.clear()
    checksummed.set(address, c)
  }
  return c
}

const SIG_HEX = /^0x[0-9a-fA-F]{130}$/

/**
 * r, s and parity of a canonical 65-byte hex signature (v ∈ {0, 1, 27, 28}, top bit of s clear — what the strict
 * parser accepts), without the Effect/ethers round trip; undefined for anything else (the strict parser decides).
 */
const quickSignature = (signature: string): { r: bigint; s: bigint; yParity: 0 | 1 } | undefined => {
  if (!SIG_HEX.test(signature)) return undefined
  const hex = signature.slice(2)
  const v = Number.parseInt(hex.slice(128, 130), 16)
  if (v !== 0 && v !== 1 && v !== 27 && v !== 28) return undefined
  if (Number.parseInt(hex.slice(64, 66), 16) >= 0x80) return undefined
  return {
    r: BigInt(`0x${hex.slice(0, 64)}`),
    s: BigInt(`0x${hex.slice(64, 128)}`),
    yParity: v === 0 || v === 27 ? 0 : 1,
  }
}

/**
 * The EIP-191 signer of `text` must be the expected TEE signer. Once a signer's key is known, a signature is checked
 * against it directly (signer-check.ts); otherwise (first response, or a mismatch to report) it is recovered.
 */
const checkSigner = (service: ServiceView, chatId: string, text: string, signature: string): string => {
  const provider = service.provider
  const expected = service.expectedSigner
  const must = <A>(r: Result.Result<A, MalformedSignature>): A => {
    if (Result.isFailure(r)) throw new MalformedResponseSignature({ provider, chatId, reason: r.failure.reason })
    return r.success
  }
  const digest = personalMessageDigest(text)
  const quick = quickSignature(signature)
  if (quick !== undefined && signedByKnownKey(expected, digest, quick.r, quick.s, quick.yParity)) {
    return checksumOf(expected)
  }
  // Anything else goes through the strict parser (its typed errors) and, when known, the key check.
  const sig = must(parseSignature("response", signature))
  if (signedByKnownKey(expected, digest, BigInt(sig.r), BigInt(sig.s), sig.yParity)) return checksumOf(expected)
  const publicKey = must(recoverPublicKeyFromDigest("response", digest, signature))
  const recovered = computeAddress(publicKey)
  if (recovered.toLowerCase() !== expected.toLowerCase()) {
    throw new WrongResponseSigner({ provider, chatId, expected, recovered })
  }
  rememberSignerKey(expected, publicKey)
  return recovered
}

/**
 * The key check's curve code loads with the first full recovery, not with the page: it only pays off from a
 * signer's second response on, and until it is in, a response is simply recovered in full.
 */
let keyCheck: typeof import("./signer-check.js") | undefined
let keyCheckRequested = false
const signedByKnownKey = (expected: string, digest: string, r: bigint, s: bigint, yParity: 0 | 1): boolean =>
  keyCheck?.signedByKnownKey(expected, digest, r, s, yParity) ?? false
const rememberSignerKey = (expected: string, publicKey: string): void => {
  if (keyCheck !== undefined) {
    keyCheck.rememberSignerKey(expected, publicKey)
    return
  }
  if (keyCheckRequested) return
  keyCheckRequested = true
  import("./signer-check.js").then(
    (m) => {
      keyCheck = m
      m.rememberSignerKey(expected, publicKey)
    },
    () => {
      keyCheckRequested = false // the chunk did not load: keep recovering in full, try again on the next recovery
    },
  )
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const optionalString = (u: unknown) => u === undefined || typeof u === "string"

/**
 * The common, well-formed payload without the Effect/Schema round trip: exactly the shape `SignaturePayload` accepts
 * (string text and signature, optional string signing_address/signing_algo); anything else, including invalid JSON,
 * is left to the schema path and its typed errors.
 */
const quickPayload = (text: string): SignaturePayload | undefined => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined
  const o = json as Record<string, unknown>
  if (typeof o.text !== "string" || typeof o.signature !== "string") return undefined
  if (!optionalString(o.signing_address) || !optionalString(o.signing_algo)) return undefined
  const routing = ["provider_type", "provider_identity", "tls_cert_fingerprint"] as const
  if (routing.some((k) => o[k] !== undefined)) return undefined // rare: the schema path reads them
  return { text: o.text, signature: o.signature }
}

/**
 * One GET of the signature: `providerJson` as plain async code (same limits, typed errors and decoding). The body is
 * read under the signature limits, so a provider that sends `{` and stalls fails with `ProviderTimeout`.
 */
const getSignature = async (
  config: InferenceConfigShape,
  ctx: { readonly provider: string; readonly url: string },
  context: Context.Context<never>,
): Promise<SignaturePayload> => {
  const { provider, url } = ctx
  const unreachable = (cause: unknown) => new ProviderUnreachable({ provider, url, cause })
  const r = await providerSend(context, ctx, {}, config.signatureLimits, { fetch: config.fetch, unreachable })
  const text = await r.text()
  if (!r.response.ok) throw mapRejection(ctx, r.response.status, text)
  const quick = quickPayload(text)
  if (quick !== undefined) return quick
  const what = "response signature"
  const json = sync(parseProviderJson(text, provider, what))
  return sync(decodeProviderJson(SignaturePayload, provider, what)(json))
}

/**
 * Where the provider serves the TEE signature of one exchange (`chatId`: a usage record's or receipt's signature key),
 * for anyone who wants to check it by hand.
 */
export const signatureUrlOf = (service: Pick<ServiceView, "url" | "separated" | "model">, chatId: string): string => {
  const query = service.separated ? `?model=${encodeURIComponent(service.model)}` : ""
  return `${service.url}/v1/proxy/signature/${encodeURIComponent(chatId)}${query}`
}

/** Fetches the signature, retrying a miss briefly (older brokers sign only after the last byte). */
const fetchSignature = async (
  config: InferenceConfigShape,
  service: ServiceView,
  chatId: string,
  context: Context.Context<never>,
): Promise<SignaturePayload> => {
  const url = signatureUrlOf(service, chatId)
  let delay = config.signatureRetryDelayMs
  for (let attempt = 1; ; attempt++) {
    try {
      return await getSignature(config, { provider: service.provider, url }, context)
    } catch (e) {
      const miss = e instanceof ProviderHttpError && (e.status === 404 || /chat_id_not_found|not found/i.test(e.detail))
      if (!miss) throw e
      if (attempt >= config.signatureAttempts)
        throw new ResponseSignatureMissing({ provider: service.provider, chatId })
      await sleep(delay)
      delay *= 2
    }
  }
}

export interface ExchangeHashes {
  readonly requestHash: string
  readonly responseHash: string
  /** Hashes of documented rewrites of the request we recomputed (e.g. the model mapped to its upstream id). */
  readonly requestAlternatives?: ReadonlyArray<string>
  /** Why the request hash may not be exact (e.g. the body could not be put in canonical form). */
  readonly requestNote?: string
  /**
   * Image services: sha256 of each decoded image of the response, in order — what a decentralized broker signs
   * instead of the body (signImageResponse). Undefined when the body held no decodable base64 images.
   */
  readonly images?: ReadonlyArray<string>
}

/** The routing proof repeated outside the signed text must agree with it, and with the registered identity. */
const routingMismatch = (service: ServiceView, signed: SignaturePayload, routing: RoutingProof): string | undefined => {
  const outside: ReadonlyArray<[string | undefined, string, string]> = [
    [signed.provider_type, routing.providerType, "provider_type"],
    [signed.provider_identity, routing.providerIdentity, "provider_identity"],
    [signed.tls_cert_fingerprint?.toLowerCase(), routing.tlsCertFingerprint, "tls_cert_fingerprint"],
  ]
  for (const [given, inText, name] of outside) {
    if (given !== undefined && given !== inText) return `${name} ${JSON.stringify(given)} differs from the signed text`
  }
  if (routing.providerType !== "centralized") return `routing proof of provider type ${routing.providerType}`
  const registered = service.providerIdentity
  if (registered !== undefined && registered.toLowerCase() !== routing.providerIdentity.toLowerCase()) {
    return `routing proof names upstream ${routing.providerIdentity}, the service registered ${registered}`
  }
  return undefined
}

/**
 * Verifies one exchange given the hashes of the exact bytes sent and received, as plain async code (the request
 * path's form: no fiber per request). Resolves to the receipt; rejects with a {@link VerificationError}.
 */
export const verifyExchangePromise = async (
  config: InferenceConfigShape,
  service: ServiceView,
  chatId: string | undefined,
  hashes: ExchangeHashes,
  /** Where the signature GET finds an `HttpClient` to go through (else it uses `config.fetch` directly). */
  context: Context.Context<never> = Context.empty(),
): Promise<Receipt> => {
  const refusal = verificationRefusal(service)
  if (refusal !== undefined) throw refusal
  const provider = service.provider
  if (chatId === undefined || chatId === "") throw new ResponseSignatureMissing({ provider, chatId })
  const signed = await fetchSignature(config, service, chatId, context)
  if (signed.signature === "" || signed.text === "") throw new ResponseSignatureMissing({ provider, chatId })
  const signer = checkSigner(service, chatId, signed.text, signed.signature)
  const { requestHash, responseHash } = hashes
  const base = { provider, chatId, signer, text: signed.text, signature: signed.signature, requestHash, responseHash }
  const form = parseSignedText(signed.text)
  // The broker's TEE signs every centralized answer as a routing proof (signCentralizedRoutingProof) and refuses to
  // sign one without TLS evidence: a plain hash text names no upstream, so the registered one is unproven.
  if (service.providerType === "centralized" && form._tag !== "Routing") {
    const reason = "a centralized provider's signed text carries no routing proof"
    throw new MalformedResponseSignature({ provider, chatId, reason })
  }
  if (form._tag === "Other") {
    if (!service.separated) {
      throw new MalformedResponseSignature({ provider, chatId, reason: "signed text is not sha256:sha256" })
    }
    if (config.requireResponseBinding) throw new ResponseBindingUnknown({ provider, chatId })
    const unbound = "request and response: the signed text is not a hash binding of the exchange"
    return { _tag: "BindingUnknown", level: "signer-bound", unbound, ...base } satisfies Receipt
  }
  let routing: RoutingProof | undefined
  if (form._tag === "Routing") {
    const reason = routingMismatch(service, signed, form.routing)
    if (reason !== undefined) throw new MalformedResponseSignature({ provider, chatId, reason })
    routing = form.routing
  }
  if (form._tag === "Images") {
    const signedImages = form.images.join(",")
    if (signedImages !== hashes.images?.join(",")) {
      throw new ResponseTampered({
        provider,
        chatId,
        signedHash: signedImages,
        actualHash: hashes.images?.join(",") ?? responseHash,
      })
    }
  } else if (form.response !== responseHash && !(hashes.images?.length === 1 && hashes.images[0] === form.response)) {
    throw new ResponseTampered({ provider, chatId, signedHash: form.response, actualHash: responseHash })
  }
  const extra = routing === undefined ? {} : { routing }
  if (form.request === requestHash || hashes.requestAlternatives?.includes(form.request) === true) {
    return { _tag: "Verified", level: "bytes-bound", ...extra, ...base } satisfies Receipt
  }
  if (config.requireRequestBinding) {
    throw new RequestAltered({ provider, chatId, signedHash: form.request, actualHash: requestHash })
  }
  const unbound = requestUnbound(form.request, requestHash, hashes.requestNote)
  return { _tag: "Verified", level: "signer-bound", unbound, ...extra, ...base } satisfies Receipt
}

/** Effect form of {@link verifyExchangePromise}. */
export const verifyExchange = (
  service: ServiceView,
  chatId: string | undefined,
  hashes: ExchangeHashes,
): Effect.Effect<Receipt, VerificationError> =>
  Effect.gen(function* () {
    const config = yield* InferenceConfig
    const context = yield* Effect.context<never>()
    // The Promise form rejects only with its tagged errors; anything else is a bug, not a verdict.
    const outcome = yield* Effect.promise(() =>
      verifyExchangePromise(config, service, chatId, hashes, context).then(
        (receipt) => Effect.succeed(receipt),
        (e: unknown) =>
          typeof e === "object" && e !== null && "_tag" in e ? Effect.fail(e as VerificationError) : Effect.die(e),
      ),
    )
    return yield* outcome
  })
