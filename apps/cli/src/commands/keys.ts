/**
 * `0g-compute keys new|import|list|remove`: the encrypted keystore. A key never travels in argv: `import` reads it
 * from ZG_PRIVATE_KEY or a file. The password comes from the global --password-file (one flag for every command, so
 * no subcommand copy can be shadowed by it), ZG_KEYSTORE_PASSWORD or a prompt.
 */
import { Data, Effect, Option, Redacted } from "effect"
import { Argument, Command, Flag, Prompt } from "effect/cli"
import { KEY_FILE_HELP, NoKeyConfigured, readKeyFile } from "../context.js"
import { CliIO } from "../io.js"
import { listKeys, removeKey, saveKey } from "../keystore.js"
import * as lazy from "../lazy.js"
import { makePrinter, table } from "../output.js"
import { readPassword } from "../password.js"
import { switchFlag, withGlobals } from "./root.js"

export class ConfirmationRequired extends Data.TaggedError("ConfirmationRequired")<{ readonly action: string }> {
  override get message() {
    return `${this.action} cannot be undone; pass --yes to confirm (no terminal to ask on)`
  }
}

export class Declined extends Data.TaggedError("Declined")<{ readonly action: string }> {
  override get message() {
    return `${this.action}: not confirmed, nothing changed`
  }
}

const nameArg = Argument.String("name").pipe(Argument.withDescription("keystore entry name"))

const create = Command.make("new", { name: nameArg }, ({ name }) =>
  withGlobals((g) =>
    Effect.gen(function* () {
      const password = yield* readPassword(g.passwordFile, true)
      const { Wallet } = yield* lazy.ethers
      const entry = yield* saveKey(name, Redacted.make(Wallet.createRandom().privateKey), password)
      yield* makePrinter(g.json).result(entry, () => `created key "${entry.name}" for ${entry.address}`)
    }),
  ),
).pipe(Command.withDescription("generate a new key and store it encrypted"))

const importKey = Command.make(
  "import",
  {
    name: nameArg,
    from: Flag.String("from-file").pipe(Flag.withDescription(KEY_FILE_HELP), Flag.optional),
  },
  ({ name, from }) =>
    withGlobals((g) =>
      Effect.gen(function* () {
        const raw = Option.isSome(from) ? yield* readKeyFile(from.value) : (yield* CliIO).env.ZG_PRIVATE_KEY
        if (raw === undefined || raw.trim() === "") return yield* new NoKeyConfigured()
        const { parsePrivateKey } = yield* lazy.core
        const key = yield* parsePrivateKey(raw)
        const password = yield* readPassword(g.passwordFile, true)
        const entry = yield* saveKey(name, key, password)
        yield* makePrinter(g.json).result(entry, () => `imported key "${entry.name}" for ${entry.address}`)
      }),
    ),
).pipe(Command.withDescription("encrypt an existing key (from ZG_PRIVATE_KEY or --from-file) into the keystore"))

const list = Command.make("list", {}, () =>
  withGlobals((g) =>
    Effect.gen(function* () {
      const entries = yield* listKeys
      yield* makePrinter(g.json).result({ keys: entries }, () =>
        entries.length === 0
          ? "no keys (create one with `keys new <name>`)"
          : table(
              ["name", "address"],
              entries.map((e) => [e.name, e.address]),
            ),
      )
    }),
  ),
).pipe(Command.withDescription("list keystore entries"))

const remove = Command.make(
  "remove",
  {
    name: nameArg,
    yes: switchFlag("yes", "do not ask for confirmation"),
  },
  ({ name, yes }) =>
    withGlobals((g) =>
      Effect.gen(function* () {
        const action = `removing key "${name}"`
        if (!yes) {
          if (!(yield* CliIO).stdinIsTTY) return yield* new ConfirmationRequired({ action: `\`keys remove ${name}\`` })
          const ok = yield* Prompt.run(
            Prompt.Confirm({ message: `Delete keystore entry "${name}"? Funds of a key without a backup are lost` }),
          ).pipe(Effect.catchTag("QuitError", () => Effect.succeed(false)))
          if (!ok) return yield* new Declined({ action })
        }
        yield* removeKey(name)
        yield* makePrinter(g.json).result({ removed: name }, () => `removed key "${name}"`)
      }),
    ),
).pipe(Command.withDescription("delete a keystore entry (asks first unless --yes)"))

export const keysCommand = Command.make("keys").pipe(
  Command.withDescription("the encrypted keystore (scrypt JSON wallets)"),
  Command.withSubcommands([create, importKey, list, remove]),
)
