/** What the inference commands share: the provider flag and the inference services for the global options. */
import { join } from "node:path"
import type { InferenceReadServices } from "@0g-compute/inference"
import { Effect, Layer } from "effect"
import { Flag } from "effect/cli"
import { chainLayer, type GlobalOptions, ledgerStack, requireKey } from "../context.js"
import type { TaggedFailure } from "../failure.js"
import { configDir } from "../keystore.js"
import * as lazy from "../lazy.js"
import { globals, withErrors } from "./root.js"

export const providerFlag = Flag.String("provider").pipe(Flag.withDescription("provider address"))

export type InferenceModule = typeof import("@0g-compute/inference")

/** Discovery, model catalogues and attestation reports: only a chain, no key. */
const readLayer = (g: GlobalOptions) =>
  Layer.unwrap(Effect.map(lazy.inference, (m) => m.InferenceReadOnly.pipe(Layer.provideMerge(chainLayer(g)))))

/** Every inference service over the signing stack; issued API-key ids are remembered next to the keystore. */
export const inferenceLayer = (g: GlobalOptions) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const { InferenceLive } = yield* lazy.inference
      const { fileKeyStoreLayer } = yield* lazy.inferenceNode
      const keys = fileKeyStoreLayer(join(yield* configDir, "api-keys.json"))
      return InferenceLive.pipe(Layer.provideMerge(Layer.mergeAll(ledgerStack(g), keys)))
    }),
  )

/** Runs a handler with the read-only inference services. */
export const withReader = <A, E extends TaggedFailure>(
  f: (m: InferenceModule, g: GlobalOptions) => Effect.Effect<A, E, InferenceReadServices>,
) =>
  withErrors(
    Effect.gen(function* () {
      const g = yield* globals
      const m = yield* lazy.inference
      return yield* f(m, g).pipe(Effect.provide(readLayer(g)))
    }),
  )

/** Runs a handler with every inference service (needs a key). */
export const withInference = <A, E extends TaggedFailure, R>(
  f: (m: InferenceModule, g: GlobalOptions) => Effect.Effect<A, E, R>,
) =>
  withErrors(
    Effect.gen(function* () {
      const g = yield* globals
      // No key is named before any RPC is contacted.
      yield* requireKey(g)
      const m = yield* lazy.inference
      return yield* f(m, g).pipe(Effect.scoped, Effect.provide(inferenceLayer(g)))
    }),
  )
