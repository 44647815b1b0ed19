/** The emulated provider as an Effect service: started when the layer is built, stopped when its scope closes. */
import { Context, Effect, Layer } from "effect"
import { startInferenceProvider } from "./provider.js"
import type { InferenceProvider, InferenceProviderOptions } from "./types.js"

export class InferenceProviderService extends Context.Service<InferenceProviderService, InferenceProvider>()(
  "zg/devnet/InferenceProvider",
) {}

export const inferenceProviderLayer = (options: InferenceProviderOptions) =>
  Layer.effect(
    InferenceProviderService,
    Effect.acquireRelease(
      Effect.promise(() => startInferenceProvider(options)),
      (p) => Effect.promise(() => p.stop()),
    ),
  )
