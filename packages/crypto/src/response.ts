/**
 * Byte-bound verification of TEE response signatures (inference-protocol.md §9). The provider signs
 * `text = sha256hex(request bytes) + ":" + sha256hex(response bytes)` with personal_sign over the 129-char text.
 * We recompute both hashes from the exact bytes sent and received instead of trusting the returned text.
 */
import { sha256 } from "@noble/hashes/sha2.js"
import { Result } from "effect"
import { bodyBytes, toPlainHex } from "./bytes.js"
import {
  type MalformedSignature,
  MalformedSignedText,
  RequestHashMismatch,
  ResponseHashMismatch,
  SignatureMissing,
  type SignerMismatch,
} from "./errors.js"
import { expectSigner, personalDigest, recoverSigner } from "./signature.js"

/** Raw bytes, UTF-8 text, or the chunks of a stream in arrival order (hashed incrementally, never joined). */
export type BodyInput = Uint8Array | string | Iterable<Uint8Array>

/** Incremental SHA-256 for a streamed body: feed each SSE chunk exactly as it arrived on the wire. */
export interface BodyHasher {
  readonly update: (chunk: Uint8Array) => BodyHasher
  /** Lower-case hex without prefix, as used in the signed text. */
  readonly digestHex: () => string
}

export const bodyHasher = (): BodyHasher => {
  const h = sha256.create()
  const self: BodyHasher = {
    update: (chunk) => {
      h.update(chunk)
      return self
    },
    digestHex: () => toPlainHex(h.digest()),
  }
  return self
}

/** sha256 of a body as lower-case hex (no 0x). */
export const bodyHashHex = (body: BodyInput): string => {
  if (typeof body === "string" || body instanceof Uint8Array) return toPlainHex(sha256(bodyBytes(body)))
  const h = bodyHasher()
  for (const chunk of body) h.update(chunk)
  return h.digestHex()
}

/** The text a conforming provider signs for this exchange. */
export const responseSignedText = (request: BodyInput, response: BodyInput): string =>
  `${bodyHashHex(request)}:${bodyHashHex(response)}`

/** The provider's signature payload (`GET /v1/proxy/signature/{chatId}`): only `text` and `signature` matter. */
export interface ResponseSignaturePayload {
  readonly text: string
  readonly signature: string
}

export interface VerifyResponseParams {
  /** Exactly the bytes sent as the request body. */
  readonly request: BodyInput
  /** Exactly the bytes received (the whole SSE stream for streams, compressed bytes if compressed). */
  readonly response: BodyInput
  /** What the signature route returned; `undefined` or an empty signature → `SignatureMissing`. */
  readonly signed: ResponseSignaturePayload | undefined
  /** `service.teeSignerAddress`, or `additionalInfo.TargetTeeAddress` for separated providers. */
  readonly expectedSigner: string
  readonly chatId?: string
  /**
   * Separated providers (the LLM TEE signs): a text that is not `sha256:sha256` is then accepted as
   * `BindingUnknown` (signature valid, preimage unverifiable), per §9.2. Otherwise it fails `MalformedSignedText`.
   */
  readonly separated?: boolean
}

/** The signer matched and the signed text equals the hashes of our exact bytes. Keep it as a receipt. */
export interface ResponseVerified {
  readonly _tag: "Verified"
  readonly signer: string
  readonly text: string
  readonly signature: string
  readonly requestHash: string
  readonly responseHash: string
  readonly chatId: string | undefined
}

/** Separated provider: the expected TEE signed `text`, but its preimage is not the documented form. */
export interface ResponseBindingUnknown {
  readonly _tag: "BindingUnknown"
  readonly signer: string
  readonly text: string
  readonly signature: string
  readonly chatId: string | undefined
}

export type ResponseVerdict = ResponseVerified | ResponseBindingUnknown

export type ResponseVerifyError =
  | SignatureMissing
  | MalformedSignature
  | SignerMismatch
  | MalformedSignedText
  | RequestHashMismatch
  | ResponseHashMismatch

const TEXT_FORM = /^([0-9a-f]{64}):([0-9a-f]{64})$/

/**
 * Order: signature present → signer = expected (the EIP-191 recovery of `text`; `signing_address` is ignored) →
 * text form → request hash → response hash. A replayed signature from another exchange fails on the hashes.
 */
export const verifyResponseSignature = (
  params: VerifyResponseParams,
): Result.Result<ResponseVerdict, ResponseVerifyError> =>
  Result.gen(function* () {
    const chatId = params.chatId
    const signed = params.signed
    if (signed === undefined || signed.signature === "" || typeof signed.text !== "string") {
      return yield* Result.fail(new SignatureMissing({ chatId }))
    }
    const recovered = yield* recoverSigner("response", personalDigest(signed.text), signed.signature)
    const signer = yield* expectSigner("response signature", recovered, params.expectedSigner)
    const form = TEXT_FORM.exec(signed.text.toLowerCase())
    if (form === null) {
      if (params.separated === true) {
        return { _tag: "BindingUnknown", signer, text: signed.text, signature: signed.signature, chatId } as const
      }
      return yield* Result.fail(new MalformedSignedText({ text: signed.text }))
    }
    const requestHash = bodyHashHex(params.request)
    const responseHash = bodyHashHex(params.response)
    if (form[1] !== requestHash) {
      return yield* Result.fail(new RequestHashMismatch({ signed: form[1] ?? "", actual: requestHash }))
    }
    if (form[2] !== responseHash) {
      return yield* Result.fail(new ResponseHashMismatch({ signed: form[2] ?? "", actual: responseHash }))
    }
    const verified: ResponseVerified = {
      _tag: "Verified",
      signer,
      text: signed.text,
      signature: signed.signature,
      requestHash,
      responseHash,
      chatId,
    }
    return verified
  })
