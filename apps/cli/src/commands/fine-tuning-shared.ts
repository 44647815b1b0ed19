/** What the fine-tuning commands share: flags and the fine-tuning service for the global options. */
import { readFile } from "node:fs/promises"
import { Config, Data, Effect, Layer, Option } from "effect"
import { Flag } from "effect/cli"
import { type GlobalOptions, ledgerStack } from "../context.js"
import type { TaggedFailure } from "../failure.js"
import * as lazy from "../lazy.js"
import { withSigner } from "./root.js"

export const providerFlag = Flag.String("provider").pipe(Flag.withDescription("fine-tuning provider address"))
/** What a training task is made of besides its dataset (`create` takes a dataset hash, `run` a file). */
export const trainingFlags = {
  provider: providerFlag,
  model: Flag.String("model").pipe(Flag.withDescription("pre-trained model name or hash")),
  config: Flag.String("config").pipe(Flag.withDescription("training config JSON file")),
}
export const taskFlag = Flag.String("task").pipe(Flag.withDescription("task id"))
/** A task's fee ceiling in 0G: a higher quote is refused before anything is funded. */
export const maxFeeFlag = Flag.String("max-fee").pipe(
  Flag.withDescription("the most the task may cost, in 0G (refused before anything is funded)"),
  Flag.optional,
)
export const indexerFlag = Flag.String("indexer").pipe(
  Flag.withDescription("0G Storage indexer for datasets and models (otherwise the provider's routes)"),
  Flag.withFallbackConfig(Config.String("ZG_STORAGE_INDEXER")),
  Flag.optional,
)

export type FineTuningModule = typeof import("@0g-compute/fine-tuning/node")

/** The fine-tuning services over the signing stack; with an indexer, datasets and models go through 0G Storage. */
const fineTuningLayer = (g: GlobalOptions, indexer: Option.Option<string>) =>
  Layer.unwrap(
    Effect.map(lazy.fineTuningNode, ({ fineTuningLayerOn }) =>
      fineTuningLayerOn(ledgerStack(g), Option.isSome(indexer) ? { storage: { indexerUrl: indexer.value } } : {}),
    ),
  )

/** Runs a handler with the fine-tuning services (needs a key). */
export const withFineTuning = <A, E extends TaggedFailure, R>(
  indexer: Option.Option<string>,
  f: (m: FineTuningModule, g: GlobalOptions) => Effect.Effect<A, E, R>,
) => withSigner(lazy.fineTuningNode, (g) => fineTuningLayer(g, indexer), f)

export class ConfigFileUnreadable extends Data.TaggedError("ConfigFileUnreadable")<{ readonly path: string }> {
  override get message() {
    return `Cannot read the training config ${this.path}`
  }
}

/** The training config is sent verbatim, so it is read as text; the client validates it. */
export const readConfig = (path: string) =>
  Effect.tryPromise({ try: () => readFile(path, "utf8"), catch: () => new ConfigFileUnreadable({ path }) })
