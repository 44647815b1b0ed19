/**
 * `0g-compute router serve|keys create|list|revoke`: the team router (@0g-compute/router). State lives in a PGlite
 * data directory (`--data-dir`, default `<config dir>/router`) or, with `ZG_ROUTER_DATABASE_URL` (never argv: it holds
 * a password), a Postgres server. PGlite is single-process: manage keys with the server stopped, or through its
 * admin API (`/admin/keys`).
 */
import { join } from "node:path"
import { Effect, Layer, Option, Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import { requireKey } from "../context.js"
import { CliIO } from "../io.js"
import { configDir } from "../keystore.js"
import * as lazy from "../lazy.js"
import { keyValues, makePrinter, table } from "../output.js"
import { expiresInFlag, providerPriorityFlag, servePortFlag } from "./flags.js"
import { inferenceLayer } from "./inference-shared.js"
import { withGlobals } from "./root.js"

const dataDirFlag = Flag.String("data-dir").pipe(
  Flag.withDescription("PGlite data directory (default: <config dir>/router; ZG_ROUTER_DATABASE_URL selects Postgres)"),
  Flag.optional,
)

/** Where the router's state is: ZG_ROUTER_DATABASE_URL, else the data directory. */
const databaseOf = (dataDir: Option.Option<string>) =>
  Effect.gen(function* () {
    const io = yield* CliIO
    const url = io.env.ZG_ROUTER_DATABASE_URL || undefined
    if (url !== undefined) return { databaseUrl: Redacted.make(url) }
    return { dataDir: Option.getOrUndefined(dataDir) ?? join(yield* configDir, "router") }
  })

const withStore = <A, E extends { readonly _tag: string; readonly message: string }>(
  dataDir: Option.Option<string>,
  f: (m: typeof import("@0g-compute/router"), json: boolean) => Effect.Effect<A, E, import("@0g-compute/router").Keys>,
) =>
  withGlobals((g) =>
    Effect.gen(function* () {
      const m = yield* lazy.router
      const db = yield* databaseOf(dataDir)
      return yield* Effect.gen(function* () {
        yield* m.migrate()
        return yield* f(m, g.json)
      }).pipe(Effect.scoped, Effect.provide(m.routerStoreLayer(db)))
    }),
  )

const repeated = (name: string, description: string) =>
  Flag.String(name).pipe(Flag.withDescription(description), Flag.atLeast(0))

const create = Command.make(
  "create",
  {
    dataDir: dataDirFlag,
    label: Flag.String("label").pipe(Flag.withDescription("what the key is for")),
    expiresIn: expiresInFlag,
    models: repeated("model", "a model the key may use (repeatable; default: any)"),
    providers: repeated("provider", "a provider address the key may use (repeatable; default: any)"),
    budgetDay: Flag.String("budget-day").pipe(Flag.withDescription("0G per UTC day"), Flag.optional),
    budgetMonth: Flag.String("budget-month").pipe(Flag.withDescription("0G per UTC month"), Flag.optional),
    budgetTotal: Flag.String("budget-total").pipe(Flag.withDescription("0G in total"), Flag.optional),
    rpm: Flag.Int("rpm").pipe(Flag.withDescription("requests per minute"), Flag.optional),
    tpm: Flag.Int("tpm").pipe(Flag.withDescription("tokens per minute"), Flag.optional),
  },
  (o) =>
    withStore(o.dataDir, (m, json) =>
      Effect.gen(function* () {
        const keys = yield* m.Keys
        const opt = <K extends string, V>(k: K, v: Option.Option<V>) =>
          (Option.isSome(v) ? { [k]: v.value } : {}) as { [P in K]?: V }
        const created = yield* keys.create({
          label: o.label,
          ...(Option.isSome(o.expiresIn) ? { expiresAt: Date.now() + o.expiresIn.value * 1000 } : {}),
          ...(o.models.length > 0 ? { models: o.models } : {}),
          ...(o.providers.length > 0 ? { providers: o.providers } : {}),
          ...opt("budgetDay", o.budgetDay),
          ...opt("budgetMonth", o.budgetMonth),
          ...opt("budgetTotal", o.budgetTotal),
          ...opt("requestsPerMinute", o.rpm),
          ...opt("tokensPerMinute", o.tpm),
        })
        // The secret is the credential the user asked for: shown once, stored only as its hash.
        const secret = Redacted.value(created.secret)
        yield* makePrinter(json).result(
          { key: m.keyJson(created.key), secret },
          () => `router key ${created.key.id} "${created.key.label}" (the secret is shown once):\n${secret}`,
        )
      }),
    ),
).pipe(Command.withDescription("create a virtual key (scopes, budgets, limits); prints its secret once"))

const list = Command.make("list", { dataDir: dataDirFlag }, ({ dataDir }) =>
  withStore(dataDir, (m, json) =>
    Effect.gen(function* () {
      const keys = (yield* (yield* m.Keys).list()).map(m.keyJson)
      yield* makePrinter(json).result({ keys }, () =>
        keys.length === 0
          ? "no router keys"
          : table(
              ["id", "label", "status", "spent", "remaining", "last used"],
              keys.map((k) => [
                k.id,
                k.label,
                k.revoked_at !== null
                  ? "revoked"
                  : k.expires_at !== null && Date.parse(k.expires_at) <= Date.now()
                    ? "expired"
                    : "active",
                `${k.spent.total} 0G`,
                k.remaining === null ? "no budget" : `${k.remaining} 0G`,
                k.last_used_at ?? "never",
              ]),
            ),
      )
    }),
  ),
).pipe(Command.withDescription("list virtual keys (no secrets): created, last used, spent, remaining"))

const revoke = Command.make(
  "revoke",
  { dataDir: dataDirFlag, id: Flag.String("id").pipe(Flag.withDescription("the key id (key_…)")) },
  ({ dataDir, id }) =>
    withStore(dataDir, (m, json) =>
      Effect.gen(function* () {
        const key = m.keyJson(yield* (yield* m.Keys).revoke(id))
        yield* makePrinter(json).result({ key }, () => `router key ${key.id} revoked at ${key.revoked_at}`)
      }),
    ),
).pipe(Command.withDescription("revoke a virtual key (its requests get 401 from now on)"))

const serve = Command.make(
  "serve",
  {
    dataDir: dataDirFlag,
    providers: providerPriorityFlag,
    port: servePortFlag(8788),
    host: Flag.String("host").pipe(Flag.withDescription("bind address"), Flag.withDefault("127.0.0.1")),
    fundingInterval: Flag.Int("funding-interval").pipe(
      Flag.withDescription(
        "keep the providers' sub-accounts funded, checking every N seconds (only the replica holding the funding lock sends transactions; default: no funding)",
      ),
      Flag.filter(
        (s) => s > 0,
        (s) => `--funding-interval must be a positive number of seconds (got ${s})`,
      ),
      Flag.optional,
    ),
  },
  ({ dataDir, providers, port, host, fundingInterval }) =>
    withGlobals((g) =>
      Effect.gen(function* () {
        const io = yield* CliIO
        yield* requireKey(g)
        const m = yield* lazy.router
        const db = yield* databaseOf(dataDir)
        const envToken = io.env.ZG_ROUTER_ADMIN_TOKEN || undefined
        const interval = Option.getOrUndefined(fundingInterval)
        return yield* Effect.gen(function* () {
          const r = yield* m.makeRouter({
            providers,
            host,
            port,
            ...db,
            ...(envToken === undefined ? {} : { adminToken: Redacted.make(envToken) }),
            ...(interval === undefined ? {} : { funding: { intervalMs: interval * 1000 } }),
          })
          const admin = envToken === undefined ? Redacted.value(r.adminToken) : "(from ZG_ROUTER_ADMIN_TOKEN)"
          yield* makePrinter(g.json).result(
            {
              url: r.url,
              openAIBaseUrl: `${r.url}/v1`,
              adminToken: admin,
              providers,
              instanceId: r.instanceId,
              fundingIntervalMs: interval === undefined ? null : interval * 1000,
              ...r.started,
            },
            () =>
              keyValues([
                ["router", `${r.url}/v1 (OpenAI-compatible; virtual keys as bearer tokens)`],
                ["admin token", admin],
                ["providers", providers.join(", ")],
                ["state", "databaseUrl" in db ? "Postgres (ZG_ROUTER_DATABASE_URL)" : `PGlite ${db.dataDir}`],
                ["reconciled", `${r.started.reconciled} stale reservation(s) released`],
                ["funding", interval === undefined ? "off" : `every ${interval} s (instance ${r.instanceId})`],
              ]),
          )
          return yield* Effect.never
        }).pipe(Effect.scoped, Effect.provide(Layer.merge(inferenceLayer(g), m.routerStoreLayer(db))))
      }),
    ),
).pipe(Command.withDescription("run the team router: virtual keys, budgets, request log, verified responses"))

const keysCommand = Command.make("keys").pipe(
  Command.withDescription("manage the router's virtual keys"),
  Command.withSubcommands([create, list, revoke]),
)

export const routerCommand = Command.make("router").pipe(
  Command.withDescription("a self-hosted verifying router for teams (virtual keys, budgets, request log)"),
  Command.withSubcommands([serve, keysCommand]),
)
