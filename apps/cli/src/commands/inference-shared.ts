/** What the inference commands share: the provider flag and a facade client scoped to the command. */
import { join } from "node:path"
import { Effect } from "effect"
import { Flag } from "effect/cli"
import { call, connectionOptions, NoKeyConfigured } from "../context.js"
import { configDir } from "../keystore.js"
import * as lazy from "../lazy.js"
import { globals } from "./root.js"

export const providerFlag = Flag.String("provider").pipe(Flag.withDescription("provider address"))

export { call }

/** A signing facade client for the global options, closed when the command's scope ends. */
export const inferenceClient = Effect.acquireRelease(
  Effect.gen(function* () {
    const options = yield* connectionOptions(yield* globals)
    if (options.privateKey === undefined) return yield* new NoKeyConfigured()
    const { createInferenceClient } = yield* lazy.inference
    const { makeFileKeyStore } = yield* lazy.inferenceNode
    // Issued API-key ids are remembered across runs so an id is never handed out twice.
    const keyStore = makeFileKeyStore(join(configDir(), "api-keys.json"))
    return yield* call(() => createInferenceClient({ ...options, keyStore }))
  }),
  (c) => Effect.promise(() => c.close()),
)
