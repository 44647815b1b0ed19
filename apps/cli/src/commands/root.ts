/**
 * The root command's shared flags, and the error boundary every handler runs inside.
 */
import { isNetworkName, NETWORKS } from "@0g-compute/core/light"
import { type Cause, Config, Effect, type Layer, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { type GlobalOptions, KEY_FILE_HELP, requireKey } from "../context.js"
import { describeFailure, errorDocument, errorText, type FailureContext, type TaggedFailure } from "../failure.js"
import { CliIO } from "../io.js"
import { toJson } from "../output.js"
import { profileNamed, readConfig, UnknownProfile } from "../profiles.js"
import { registerUrl } from "../sanitize.js"

/** A boolean flag, off unless given. */
export const switchFlag = (name: string, description: string) =>
  Flag.Boolean(name).pipe(Flag.withDescription(description), Flag.withDefault(false))

export const root = Command.make("0g-compute").pipe(
  Command.withSharedFlags({
    network: Flag.String("network").pipe(
      Flag.withDescription(
        "devnet | testnet | testnet-dev | mainnet | an http(s) RPC URL (default: the profile's, else devnet)",
      ),
      Flag.withFallbackConfig(Config.String("ZG_NETWORK")),
      Flag.optional,
    ),
    profile: Flag.String("profile").pipe(
      Flag.withDescription("use a saved profile (see `profile list`); default: the current one"),
      Flag.withFallbackConfig(Config.String("ZG_PROFILE")),
      Flag.optional,
    ),
    rpc: Flag.String("rpc").pipe(Flag.withDescription("RPC URL overriding the preset's"), Flag.optional),
    // Strings, not Flag.File: `--key-file <(pass show …)` is a pipe, which Flag.File refuses.
    keyFile: Flag.String("key-file").pipe(Flag.withDescription(KEY_FILE_HELP), Flag.optional),
    key: Flag.String("key").pipe(
      Flag.withDescription("name of an encrypted keystore entry (see `keys list`)"),
      Flag.withFallbackConfig(Config.String("ZG_KEY")),
      Flag.optional,
    ),
    passwordFile: Flag.String("password-file").pipe(
      Flag.withDescription("file or pipe holding the keystore password (otherwise ZG_KEYSTORE_PASSWORD or a prompt)"),
      Flag.optional,
    ),
    json: switchFlag("json", "print one JSON document"),
    verbose: switchFlag("verbose", "show stack traces on errors"),
  }),
  Command.withDescription("customer toolkit for the 0G Compute Network"),
)

/**
 * The global options in effect: explicit flags (and their env fallbacks) win, then the chosen or current profile,
 * then the defaults (devnet).
 */
export const globals = Effect.gen(function* () {
  const flags = yield* root
  const config = yield* readConfig
  const name = Option.getOrUndefined(flags.profile) ?? config.current
  const profile = name === undefined ? undefined : profileNamed(config, name)
  if (name !== undefined && profile === undefined && Option.isSome(flags.profile))
    return yield* new UnknownProfile({ name })
  const g: GlobalOptions = {
    ...flags,
    network: Option.getOrElse(flags.network, () => profile?.network ?? "devnet"),
    rpc: Option.orElse(flags.rpc, () => Option.fromNullishOr(profile?.rpc)),
    key: Option.orElse(flags.key, () => Option.fromNullishOr(profile?.key)),
    profile: Option.fromNullishOr(profile === undefined ? undefined : name),
  }
  ;(yield* CliIO).failureContext = contextOf(g.network, Option.getOrUndefined(g.rpc))
  return g
})

/** The RPC in effect for a --network value and an optional --rpc, registered so errors never print its secrets. */
const contextOf = (network: string, rpc: string | undefined): FailureContext => {
  registerUrl(rpc)
  if (/^https?:\/\//i.test(network)) {
    registerUrl(network)
    return { rpcUrl: network }
  }
  return { rpcUrl: rpc ?? (isNetworkName(network) ? NETWORKS[network].rpcUrl : undefined) }
}

/** The CLI message for a failure that a command reports as data (doctor's checks) rather than exiting. */
export const failureMessage = (error: TaggedFailure) =>
  CliIO.useSync((io) => describeFailure(error, io.failureContext).message)

/** Thrown through to main.ts after printing, so the process exits non-zero without a second report. */
export class ReportedFailure extends Error {
  readonly _tag = "ReportedFailure"
}

/**
 * Runs a handler; a failure (typed error or defect) is printed as one line (or a JSON error document) on stderr and
 * becomes a ReportedFailure so the process exits 1. The handler's error channel must be tagged errors (never
 * `unknown`): the printer words each by its tag.
 */
export const withErrors = <A, E extends TaggedFailure, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const g = yield* root
    const io = yield* CliIO
    // Until `globals` resolved the profile, the flags alone say which RPC is meant (and which URLs to redact).
    io.failureContext = contextOf(
      Option.getOrElse(g.network, () => "devnet"),
      Option.getOrUndefined(g.rpc),
    )
    return yield* effect.pipe(
      Effect.catchCause((cause) =>
        Effect.gen(function* () {
          if (!cause.reasons.some((r) => r._tag === "Fail" || r._tag === "Die")) return yield* Effect.failCause(cause)
          // Printed by an inner boundary already.
          if (cause.reasons.some((r) => r._tag === "Die" && r.defect instanceof ReportedFailure))
            return yield* Effect.failCause(cause)
          const failure = describeFailure(causeError(cause), io.failureContext)
          io.stderr(`${g.json ? toJson(errorDocument(failure)) : errorText(failure, g.verbose)}\n`)
          return yield* Effect.die(new ReportedFailure("reported"))
        }),
      ),
    )
  })

const causeError = (cause: Cause.Cause<unknown>): unknown => {
  for (const r of cause.reasons) {
    if (r._tag === "Fail") return r.error
    if (r._tag === "Die") return r.defect
  }
  return undefined
}

/** Runs a handler with the global options (the profile applied) inside the error boundary. */
export const withGlobals = <A, E extends TaggedFailure, R>(f: (g: GlobalOptions) => Effect.Effect<A, E, R>) =>
  withErrors(Effect.flatMap(globals, f))

/**
 * Runs a handler that signs: no key is named before any RPC is contacted; then `module` is loaded and the handler runs
 * in a scope over `layer`.
 */
export const withSigner = <M, A, E extends TaggedFailure, R, ROut, LE extends TaggedFailure, LR>(
  module: Effect.Effect<M>,
  layer: (g: GlobalOptions) => Layer.Layer<ROut, LE, LR>,
  f: (m: M, g: GlobalOptions) => Effect.Effect<A, E, R>,
) =>
  withGlobals((g) =>
    Effect.gen(function* () {
      yield* requireKey(g)
      const m = yield* module
      return yield* f(m, g).pipe(Effect.scoped, Effect.provide(layer(g)))
    }),
  )
