/** `0g-compute inference api-key create|list|revoke|revoke-all`: persistent API keys (token ids 0..254). */
import type { ApiKeysShape } from "@0g-compute/inference"
import { Effect, Option, Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import type { TaggedFailure } from "../failure.js"
import { printResult, table } from "../output.js"
import { expiresInFlag, providerFlag } from "./flags.js"
import { withInference } from "./inference-shared.js"

/** Runs one ApiKeys operation and prints what it returns. */
const apiKeys = <A, E extends TaggedFailure>(f: (keys: ApiKeysShape) => Effect.Effect<A, E>, human: (a: A) => string) =>
  withInference(({ ApiKeys }, g) => printResult(g.json, ApiKeys.use(f), human))

const create = Command.make(
  "create",
  {
    provider: providerFlag,
    tokenId: Flag.Int("token-id").pipe(Flag.withDescription("0..254 (default: the lowest free id)"), Flag.optional),
    expiresIn: expiresInFlag,
    label: Flag.String("label").pipe(Flag.withDescription("a note kept locally"), Flag.optional),
  },
  ({ provider, tokenId, expiresIn, label }) =>
    apiKeys(
      (c) =>
        c
          .create(provider, {
            ...(Option.isSome(tokenId) ? { tokenId: tokenId.value } : {}),
            ...(Option.isSome(expiresIn) ? { durationMs: expiresIn.value * 1000 } : {}),
            ...(Option.isSome(label) ? { label: label.value } : {}),
          })
          // The key is the credential the user asked for: shown once, stored nowhere.
          .pipe(Effect.map((key) => ({ ...key, apiKey: Redacted.value(key.apiKey) }))),
      (key) => `API key ${key.tokenId} for ${provider} (shown once):\n${key.apiKey}`,
    ),
).pipe(Command.withDescription("create a persistent API key for OpenAI clients"))

const list = Command.make("list", { provider: providerFlag }, ({ provider }) =>
  apiKeys(
    (c) => c.list(provider),
    (keys) =>
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
  ),
).pipe(Command.withDescription("list the API keys issued from this machine, with their on-chain status"))

const revoke = Command.make(
  "revoke",
  {
    provider: providerFlag,
    tokenIds: Flag.Int("token-id").pipe(Flag.withDescription("id to revoke (repeatable)"), Flag.atLeast(1)),
  },
  ({ provider, tokenIds }) =>
    apiKeys(
      (c) => Effect.map(c.revoke(provider, tokenIds), (tx) => ({ revoked: tokenIds, tx })),
      ({ tx }) => `revoked ${tokenIds.join(", ")}; tx ${tx.hash}`,
    ),
).pipe(Command.withDescription("revoke API keys by id"))

const revokeAll = Command.make("revoke-all", { provider: providerFlag }, ({ provider }) =>
  apiKeys(
    (c) => Effect.map(c.revokeAll(provider), (tx) => ({ revokedAll: true, tx })),
    ({ tx }) => `every key and session token for ${provider} revoked; tx ${tx.hash}`,
  ),
).pipe(Command.withDescription("revoke every API key and session token for a provider"))

export const apiKeyCommand = Command.make("api-key").pipe(
  Command.withDescription("persistent API keys"),
  Command.withSubcommands([create, list, revoke, revokeAll]),
)
