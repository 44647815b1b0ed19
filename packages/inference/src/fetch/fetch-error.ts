/**
 * {@link InferenceFetchError}: every tagged error a verifying exchange fails with, and the one bridge from the request
 * path's plain functions (which throw or reject with those errors) into the Effect that runs the exchange.
 */
import type { InvalidAddress, ProviderLimitError } from "@0g-compute/core"
import type { InvalidSessionTokenParams, SignerMismatch, SigningFailed } from "@0g-compute/crypto"
import { Effect } from "effect"
import type { ReadError } from "../chain-reads.js"
import type {
  ProviderStreamFailed,
  ServiceNotFound,
  ServiceTypeMismatch,
  UnsupportedRequest,
  UrlNotForProvider,
} from "../errors.js"
import type { VerificationError } from "../verify/verifier.js"

/**
 * Every tagged error the verifying fetch rejects with (and its stream errors with): finding the provider, signing the
 * session, shaping the request, the provider's refusals and limits, and verification.
 */
export type InferenceFetchError =
  | ServiceNotFound
  | InvalidAddress
  | ReadError
  | InvalidSessionTokenParams
  | SigningFailed
  | SignerMismatch
  | UrlNotForProvider
  | UnsupportedRequest
  | ServiceTypeMismatch
  | ProviderStreamFailed
  | ProviderLimitError
  | VerificationError

/** The tags of {@link InferenceFetchError}; the two checks below keep the list and the union equal. */
export const INFERENCE_FETCH_ERROR_TAGS = [
  "ServiceNotFound",
  "InvalidAddress",
  "ContractRevert",
  "RpcError",
  "MalformedData",
  "InvalidSessionTokenParams",
  "SigningFailed",
  "SignerMismatch",
  "UrlNotForProvider",
  "UnsupportedRequest",
  "ServiceTypeMismatch",
  "ProviderStreamFailed",
  "ProviderTimeout",
  "ProviderBodyTooLarge",
  "ServiceNotVerifiable",
  "ProviderNotAcknowledged",
  "ResponseSignatureMissing",
  "MalformedResponseSignature",
  "WrongResponseSigner",
  "RequestAltered",
  "ResponseTampered",
  "ResponseBindingUnknown",
  "ProviderUnreachable",
  "ProviderHttpError",
  "SubAccountMissing",
  "InsufficientSubAccountBalance",
  "TokenExpired",
  "TokenRevoked",
  "TokenRejected",
  "MalformedProviderResponse",
] as const satisfies ReadonlyArray<InferenceFetchError["_tag"]>
type Missing = Exclude<InferenceFetchError["_tag"], (typeof INFERENCE_FETCH_ERROR_TAGS)[number]>
const complete: [Missing] extends [never] ? true : Missing = true
void complete

const TAGS: ReadonlySet<string> = new Set(INFERENCE_FETCH_ERROR_TAGS)

export const isInferenceFetchError = (u: unknown): u is InferenceFetchError =>
  u instanceof Error && TAGS.has((u as { _tag?: unknown })._tag as string)

/** A rejection of the fetch as a typed failure; anything else (a bug, the abort of an interrupted fiber) is a defect. */
export const typed = (e: unknown): Effect.Effect<never, InferenceFetchError> =>
  isInferenceFetchError(e) ? Effect.fail(e) : Effect.die(e)

/**
 * A plain step of the request path as an Effect: its value (synchronously when it has one, so the usual request pays
 * for no promise), its throw or rejection as a typed failure, anything else as a defect. A defect's value is kept as
 * is, so the fetch edge rejects with exactly what the step threw (e.g. the caller's abort reason).
 */
export const settled = <A>(f: () => A | Promise<A>): Effect.Effect<A, InferenceFetchError> => {
  let value: A | Promise<A>
  try {
    value = f()
  } catch (e) {
    return typed(e)
  }
  return value instanceof Promise ? settledPromise(value) : Effect.succeed(value)
}

/** A promise's value, its rejection as a typed failure or a defect: the error channel is never `unknown`. */
export const settledPromise = <A>(promise: Promise<A>): Effect.Effect<A, InferenceFetchError> =>
  Effect.flatten(
    Effect.promise((): Promise<Effect.Effect<A, InferenceFetchError>> => promise.then(Effect.succeed, typed)),
  )
