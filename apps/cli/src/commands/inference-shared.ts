/** What the inference commands share: the acknowledgement flags and the inference services for the global options. */
import { join } from "node:path"
import { MalformedProviderResponse, parseJsonRecord } from "@0g-compute/core/light"
import type { ExchangeRequest, InferenceFetchOptions, InferenceReadServices } from "@0g-compute/inference"
import { Effect, Layer, Option } from "effect"
import { Flag } from "effect/cli"
import { chainLayer, type GlobalOptions, ledgerStack } from "../context.js"
import type { TaggedFailure } from "../failure.js"
import { configDir } from "../keystore.js"
import * as lazy from "../lazy.js"
import { optionalZG } from "./flags.js"
import { switchFlag, withGlobals, withSigner } from "./root.js"

/** Measurements the user expects (a mismatch refuses the provider whatever the opt-ins). */
export const pinFlags = {
  expectCompose: Flag.String("expect-compose").pipe(
    Flag.withDescription("refuse unless the attested compose hash (sha256 of app_compose) is this"),
    Flag.optional,
  ),
  expectImage: Flag.String("expect-image").pipe(
    Flag.withDescription("refuse unless the attested compose runs this image digest (sha256:…) or reference"),
    Flag.optional,
  ),
}
/** The funding, opt-ins and pins of an acknowledgement: `inference ack` and `fine-tuning ack-provider` take the same. */
export const ackFlags = {
  fund: Flag.String("fund").pipe(
    Flag.withDescription("create the sub-account with this many 0G if missing"),
    Flag.optional,
  ),
  allowDevnet: switchFlag("allow-devnet", "accept a devnet (emulated) quote"),
  allowUnverified: switchFlag("allow-unverified", "accept a provider whose checks fail"),
  ...pinFlags,
}
export const pinsOf = (o: { expectCompose: Option.Option<string>; expectImage: Option.Option<string> }) => ({
  ...(Option.isSome(o.expectCompose) ? { expectComposeHash: o.expectCompose.value } : {}),
  ...(Option.isSome(o.expectImage) ? { expectImage: o.expectImage.value } : {}),
})

/** The acknowledgement options {@link ackFlags} ask for; a malformed --fund is refused before anything is sent. */
export const ackOptionsOf = (flags: {
  readonly fund: Option.Option<string>
  readonly allowDevnet: boolean
  readonly allowUnverified: boolean
  readonly expectCompose: Option.Option<string>
  readonly expectImage: Option.Option<string>
}) =>
  Effect.map(optionalZG(flags.fund), (fund) => ({
    allowDevnet: flags.allowDevnet,
    allowUnverified: flags.allowUnverified,
    ...pinsOf(flags),
    ...(fund === undefined ? {} : { fund }),
  }))

export type InferenceModule = typeof import("@0g-compute/inference")

/** Discovery, model catalogues and attestation reports: only a chain, no key. */
const readLayer = (g: GlobalOptions) =>
  Layer.unwrap(Effect.map(lazy.inference, (m) => m.inferenceReadLayerOn(chainLayer(g))))

/** Every inference service over the signing stack; issued API-key ids are remembered next to the keystore. */
export const inferenceLayer = (g: GlobalOptions) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const { inferenceLayerOn } = yield* lazy.inference
      const { makeFileKeyStore } = yield* lazy.inferenceNode
      const keyStore = makeFileKeyStore(join(yield* configDir, "api-keys.json"))
      return inferenceLayerOn(ledgerStack(g), { keyStore })
    }),
  )

/** Runs a handler with the read-only inference services. */
export const withReader = <A, E extends TaggedFailure>(
  f: (m: InferenceModule, g: GlobalOptions) => Effect.Effect<A, E, InferenceReadServices>,
) =>
  withGlobals((g) =>
    Effect.gen(function* () {
      const m = yield* lazy.inference
      return yield* f(m, g).pipe(Effect.provide(readLayer(g)))
    }),
  )

/** Runs a handler with every inference service (needs a key). */
export const withInference = <A, E extends TaggedFailure, R>(
  f: (m: InferenceModule, g: GlobalOptions) => Effect.Effect<A, E, R>,
) => withSigner(lazy.inference, inferenceLayer, f)

/**
 * One verified exchange with a provider (inference's Effect face of the verifying fetch): the reply's body, its
 * exchange result, and every failure a named tag.
 */
export const exchangeWith = (
  m: InferenceModule,
  provider: string,
  request: ExchangeRequest,
  options?: InferenceFetchOptions,
) => m.InferenceRequests.use((r) => r.exchange(provider, request, options))

/** `text` as a JSON object; anything else from a provider is its typed MalformedProviderResponse naming `what`. */
export const providerJson = (provider: string, what: string, text: string) => {
  const doc = parseJsonRecord(text)
  return doc !== undefined
    ? Effect.succeed(doc)
    : Effect.fail(
        new MalformedProviderResponse({
          provider,
          what,
          detail: `not a JSON object: ${JSON.stringify(text.slice(0, 60))}`,
        }),
      )
}
