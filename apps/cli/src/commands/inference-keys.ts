/** `0g-compute inference api-key create|list|revoke|revoke-all`: persistent API keys (token ids 0..254). */
import { Effect, Option, Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import { makePrinter, table } from "../output.js"
import { providerFlag, withInference } from "./inference-shared.js"

const create = Command.make(
  "create",
  {
    provider: providerFlag,
    tokenId: Flag.Int("token-id").pipe(Flag.withDescription("0..254 (default: the lowest free id)"), Flag.optional),
    expiresIn: Flag.Int("expires-in").pipe(Flag.withDescription("lifetime in seconds (default: never)"), Flag.optional),
    label: Flag.String("label").pipe(Flag.withDescription("a note kept locally"), Flag.optional),
  },
  ({ provider, tokenId, expiresIn, label }) =>
    withInference(({ ApiKeys }, g) =>
      Effect.gen(function* () {
        const c = yield* ApiKeys
        const key = yield* c.create(provider, {
          ...(Option.isSome(tokenId) ? { tokenId: tokenId.value } : {}),
          ...(Option.isSome(expiresIn) ? { durationMs: expiresIn.value * 1000 } : {}),
          ...(Option.isSome(label) ? { label: label.value } : {}),
        })
        // The key is the credential the user asked for: shown once, stored nowhere.
        const doc = { ...key, apiKey: Redacted.value(key.apiKey) }
        yield* makePrinter(g.json).result(
          doc,
          () => `API key ${key.tokenId} for ${provider} (shown once):\n${doc.apiKey}`,
        )
      }),
    ),
).pipe(Command.withDescription("create a persistent API key for OpenAI clients"))

const list = Command.make("list", { provider: providerFlag }, ({ provider }) =>
  withInference(({ ApiKeys }, g) =>
    Effect.gen(function* () {
      const c = yield* ApiKeys
      const keys = yield* c.list(provider)
      yield* makePrinter(g.json).result(keys, () =>
        keys.keys.length === 0
          ? `no keys issued from this machine (generation ${keys.generation}, revoked ids: ${keys.revokedIds.join(", ") || "none"})`
          : table(
              ["id", "status", "expires"],
              keys.keys.map((k) => [
                String(k.tokenId),
                k.status,
                k.expiresAt === 0 ? "never" : new Date(k.expiresAt).toISOString(),
              ]),
            ),
      )
    }),
  ),
).pipe(Command.withDescription("list the API keys issued from this machine, with their on-chain status"))

const revoke = Command.make(
  "revoke",
  {
    provider: providerFlag,
    tokenIds: Flag.Int("token-id").pipe(Flag.withDescription("id to revoke (repeatable)"), Flag.atLeast(1)),
  },
  ({ provider, tokenIds }) =>
    withInference(({ ApiKeys }, g) =>
      Effect.gen(function* () {
        const c = yield* ApiKeys
        const tx = yield* c.revoke(provider, tokenIds)
        yield* makePrinter(g.json).result(
          { revoked: tokenIds, tx },
          () => `revoked ${tokenIds.join(", ")}; tx ${tx.hash}`,
        )
      }),
    ),
).pipe(Command.withDescription("revoke API keys by id"))

const revokeAll = Command.make("revoke-all", { provider: providerFlag }, ({ provider }) =>
  withInference(({ ApiKeys }, g) =>
    Effect.gen(function* () {
      const c = yield* ApiKeys
      const tx = yield* c.revokeAll(provider)
      yield* makePrinter(g.json).result(
        { revokedAll: true, tx },
        () => `every key and session token for ${provider} revoked; tx ${tx.hash}`,
      )
    }),
  ),
).pipe(Command.withDescription("revoke every API key and session token for a provider"))

export const apiKeyCommand = Command.make("api-key").pipe(
  Command.withDescription("persistent API keys"),
  Command.withSubcommands([create, list, revoke, revokeAll]),
)
