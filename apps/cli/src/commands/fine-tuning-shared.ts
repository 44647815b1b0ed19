/** What the fine-tuning commands share: flags and a facade client scoped to the command. */
import { readFile } from "node:fs/promises"
import { Config, Data, Effect, Option } from "effect"
import { Flag } from "effect/cli"
import { call, connectionOptions, NoKeyConfigured } from "../context.js"
import * as lazy from "../lazy.js"
import { globals } from "./root.js"

export const providerFlag = Flag.String("provider").pipe(Flag.withDescription("fine-tuning provider address"))
export const taskFlag = Flag.String("task").pipe(Flag.withDescription("task id"))
export const indexerFlag = Flag.String("indexer").pipe(
  Flag.withDescription("0G Storage indexer for datasets and models (otherwise the provider's routes)"),
  Flag.withFallbackConfig(Config.String("ZG_STORAGE_INDEXER")),
  Flag.optional,
)

export { call }

export const fineTuningClient = (indexer: Option.Option<string>) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const options = yield* connectionOptions(yield* globals)
      if (options.privateKey === undefined) return yield* new NoKeyConfigured()
      const { createFineTuningClient } = yield* lazy.fineTuningNode
      return yield* call(() =>
        createFineTuningClient({
          ...options,
          ...(Option.isSome(indexer) ? { storage: { indexerUrl: indexer.value } } : {}),
        }),
      )
    }),
    (c) => Effect.promise(() => c.close()),
  )

export class ConfigFileUnreadable extends Data.TaggedError("ConfigFileUnreadable")<{ readonly path: string }> {
  override get message() {
    return `Cannot read the training config ${this.path}`
  }
}

/** The training config is sent verbatim, so it is read as text; the client validates it. */
export const readConfig = (path: string) =>
  Effect.tryPromise({ try: () => readFile(path, "utf8"), catch: () => new ConfigFileUnreadable({ path }) })
