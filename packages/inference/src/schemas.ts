/**
 * Schemas of the JSON a provider returns (inference-protocol.md §2, §4, §10, §11). Decoding is lenient about extra
 * fields (providers add them across versions) and strict about the fields we rely on.
 */
import { Effect, Result, Schema } from "effect"
import { MalformedProviderResponse } from "./errors.js"

const Digits = Schema.String.pipe(Schema.check(Schema.isPattern(/^\d+$/)))

/** `GET /v1/proxy/signature/{chatId}`. Only `text` and `signature` are trusted; `signing_address` is ignored. */
export const SignaturePayload = Schema.Struct({
  text: Schema.String,
  signature: Schema.String,
  signing_address: Schema.optionalKey(Schema.String),
  signing_algo: Schema.optionalKey(Schema.String),
  /** Centralized providers' routing proof (signing.go ChatSignature): repeated outside the signed text. */
  provider_type: Schema.optionalKey(Schema.String),
  provider_identity: Schema.optionalKey(Schema.String),
  tls_cert_fingerprint: Schema.optionalKey(Schema.String),
})
export type SignaturePayload = typeof SignaturePayload.Type

/** `GET /v1/user/{addr}/unsettledfee`. */
export const UnsettledFeeBody = Schema.Struct({
  userAddress: Schema.optionalKey(Schema.String),
  unsettledFee: Schema.Union([
    Digits,
    Schema.Number.pipe(Schema.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))),
  ]),
})

/** One entry of `GET /v1/models`; model-card fields beyond `id` are kept as they came. */
export const ModelEntry = Schema.Struct({
  id: Schema.String,
  object: Schema.optionalKey(Schema.String),
  owned_by: Schema.optionalKey(Schema.String),
  context_length: Schema.optionalKey(Schema.Number),
  pricing: Schema.optionalKey(Schema.Unknown),
})
export const ModelsBody = Schema.Struct({ object: Schema.optionalKey(Schema.String), data: Schema.Array(ModelEntry) })

/** `GET /v1/quote` in the legacy layout (plus the devnet marker). Everything is optional: checks report absences. */
export const QuoteBody = Schema.Struct({
  report_data: Schema.optionalKey(Schema.String),
  quote: Schema.optionalKey(Schema.String),
  intel_quote: Schema.optionalKey(Schema.String),
  event_log: Schema.optionalKey(Schema.Unknown),
  tcb_info: Schema.optionalKey(Schema.Unknown),
  info: Schema.optionalKey(Schema.Unknown),
  vm_config: Schema.optionalKey(Schema.Unknown),
  nvidia_payload: Schema.optionalKey(Schema.Unknown),
  devnet: Schema.optionalKey(Schema.Boolean),
})
export type QuoteBody = typeof QuoteBody.Type

/** Service `additionalInfo` keys we act on (§2). Unknown keys are ignored. */
export const AdditionalInfo = Schema.Struct({
  VerifierURL: Schema.optionalKey(Schema.String),
  TEEVerifier: Schema.optionalKey(Schema.String),
  TargetSeparated: Schema.optionalKey(Schema.Boolean),
  TargetTeeAddress: Schema.optionalKey(Schema.String),
  ImageName: Schema.optionalKey(Schema.String),
  ImageDigest: Schema.optionalKey(Schema.String),
  ProviderType: Schema.optionalKey(Schema.String),
  ProviderIdentity: Schema.optionalKey(Schema.String),
  MultiModel: Schema.optionalKey(Schema.Boolean),
  priceDenomination: Schema.optionalKey(Schema.String),
})
export type AdditionalInfo = typeof AdditionalInfo.Type

/** Decodes unknown JSON against a schema; a mismatch is a `MalformedProviderResponse` for that provider. */
export const decodeProviderJson =
  <S extends Schema.Decoder<unknown>>(schema: S, provider: string, what: string) =>
  (value: unknown): Effect.Effect<S["Type"], MalformedProviderResponse> => {
    const r = Schema.decodeUnknownResult(schema)(value)
    return Result.isSuccess(r)
      ? Effect.succeed(r.success)
      : Effect.fail(new MalformedProviderResponse({ provider, what, detail: r.failure.message.split("\n").join(" ") }))
  }

/** Parses text as JSON; invalid JSON is a `MalformedProviderResponse`. */
export const parseProviderJson = (text: string, provider: string, what: string) =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: () =>
      new MalformedProviderResponse({ provider, what, detail: `not JSON: ${JSON.stringify(text.slice(0, 80))}` }),
  })

/** Parses `additionalInfo`: the decoded keys, or the reason it is unusable. */
export const parseAdditionalInfo = (raw: string): Result.Result<AdditionalInfo, string> => {
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    return Result.fail("additionalInfo is not valid JSON")
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return Result.fail("additionalInfo is not a JSON object")
  const r = Schema.decodeUnknownResult(AdditionalInfo)(json)
  return Result.isSuccess(r)
    ? Result.succeed(r.success)
    : Result.fail(`additionalInfo: ${r.failure.message.split("\n")[0]}`)
}
