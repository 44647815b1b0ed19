/**
 * `0g-compute profile set|use|list|show|remove`: saved network/RPC/keystore-entry choices. `set` stores what the
 * command line says, e.g. `0g-compute --network testnet --key main profile set work`.
 */
import { Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { checkName } from "../keystore.js"
import { keyValues, makePrinter, table } from "../output.js"
import { configPath, type Profile, profileNamed, readConfig, UnknownProfile, writeConfig } from "../profiles.js"
import { rpcDisplay } from "../sanitize.js"
import { root, withErrors } from "./root.js"

/** A profile as printed: an RPC URL's credentials and path (often an API key) are never shown. */
const displayProfile = (p: Profile): Profile => ({
  network: /^https?:\/\//i.test(p.network) ? rpcDisplay(p.network) : p.network,
  ...(p.rpc === undefined ? {} : { rpc: rpcDisplay(p.rpc) }),
  ...(p.key === undefined ? {} : { key: p.key }),
})

const nameArg = Argument.String("name").pipe(Argument.withDescription("profile name"))

const set = Command.make("set", { name: nameArg }, ({ name }) =>
  withErrors(
    Effect.gen(function* () {
      const flags = yield* root
      const config = yield* readConfig
      // A profile holds a keystore entry's name, never key material (a key pasted after --key is refused here).
      if (Option.isSome(flags.key)) yield* checkName(flags.key.value)
      // Only what this command line says is saved (never values inherited from the current profile).
      const profile: Profile = {
        network: Option.getOrElse(flags.network, () => profileNamed(config, name)?.network ?? "devnet"),
        ...(Option.isSome(flags.rpc) ? { rpc: flags.rpc.value } : {}),
        ...(Option.isSome(flags.key) ? { key: flags.key.value } : {}),
      }
      yield* writeConfig({
        ...config,
        current: config.current ?? name,
        profiles: { ...config.profiles, [name]: profile },
      })
      const shown = displayProfile(profile)
      yield* makePrinter(flags.json).result({ name, profile: shown, path: yield* configPath }, () =>
        [
          `saved profile "${name}"`,
          keyValues([
            ["network", shown.network],
            ["rpc", shown.rpc ?? "-"],
            ["key", shown.key ?? "-"],
          ]),
        ].join("\n"),
      )
    }),
  ),
).pipe(Command.withDescription("save the --network, --rpc and --key of this command line as a profile"))

/** The config, once profile `name` is known to be in it. */
const configWith = (name: string) =>
  Effect.flatMap(readConfig, (config) =>
    profileNamed(config, name) === undefined ? Effect.fail(new UnknownProfile({ name })) : Effect.succeed(config),
  )

const use = Command.make("use", { name: nameArg }, ({ name }) =>
  withErrors(
    Effect.gen(function* () {
      const flags = yield* root
      const config = yield* configWith(name)
      yield* writeConfig({ ...config, current: name })
      yield* makePrinter(flags.json).result({ current: name }, () => `now using profile "${name}"`)
    }),
  ),
).pipe(Command.withDescription("make a profile the default for every command"))

const list = Command.make("list", {}, () =>
  withErrors(
    Effect.gen(function* () {
      const flags = yield* root
      const config = yield* readConfig
      const rows = Object.entries(config.profiles).map(([n, p]) => [n, displayProfile(p)] as const)
      const shown = { ...config, profiles: Object.fromEntries(rows) }
      yield* makePrinter(flags.json).result(shown, () =>
        rows.length === 0
          ? "no profiles (save one with `0g-compute --network testnet profile set <name>`)"
          : table(
              ["", "name", "network", "rpc", "key"],
              rows.map(([n, p]) => [n === config.current ? "*" : "", n, p.network, p.rpc ?? "-", p.key ?? "-"]),
            ),
      )
    }),
  ),
).pipe(Command.withDescription("list saved profiles (* = current)"))

const remove = Command.make("remove", { name: nameArg }, ({ name }) =>
  withErrors(
    Effect.gen(function* () {
      const flags = yield* root
      const config = yield* configWith(name)
      const { [name]: _removed, ...profiles } = config.profiles
      yield* writeConfig({
        profiles,
        ...(config.current === name ? {} : config.current ? { current: config.current } : {}),
      })
      yield* makePrinter(flags.json).result({ removed: name }, () => `removed profile "${name}"`)
    }),
  ),
).pipe(Command.withDescription("delete a profile"))

export const profileCommand = Command.make("profile").pipe(
  Command.withDescription("saved networks, RPC URLs and keystore entries"),
  Command.withSubcommands([set, use, list, remove]),
)
