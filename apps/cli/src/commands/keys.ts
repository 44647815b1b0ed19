/**
 * `0g-compute keys new|import|list|remove`: the encrypted keystore. A key never travels in argv: `import` reads it
 * from ZG_PRIVATE_KEY or a file.
 */
import { readFile } from "node:fs/promises"
import { Effect, Option, Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { KeyFileUnreadable, NoKeyConfigured } from "../context.js"
import { listKeys, removeKey, saveKey } from "../keystore.js"
import * as lazy from "../lazy.js"
import { makePrinter, table } from "../output.js"
import { readPassword } from "../password.js"
import { globals, withErrors } from "./root.js"

const nameArg = Argument.String("name").pipe(Argument.withDescription("keystore entry name"))
export const passwordFileFlag = Flag.File("password-file").pipe(
  Flag.withDescription("file holding the keystore password (otherwise ZG_KEYSTORE_PASSWORD or a prompt)"),
  Flag.optional,
)

const create = Command.make("new", { name: nameArg, passwordFile: passwordFileFlag }, ({ name, passwordFile }) =>
  withErrors(
    Effect.gen(function* () {
      const g = yield* globals
      const password = yield* readPassword(passwordFile, true)
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
    from: Flag.File("from-file").pipe(
      Flag.withDescription("file holding the private key (otherwise ZG_PRIVATE_KEY)"),
      Flag.optional,
    ),
    passwordFile: passwordFileFlag,
  },
  ({ name, from, passwordFile }) =>
    withErrors(
      Effect.gen(function* () {
        const g = yield* globals
        const raw = Option.isSome(from)
          ? yield* Effect.tryPromise({
              try: () => readFile(from.value, "utf8"),
              catch: () => new KeyFileUnreadable({ path: from.value, reason: "unreadable" }),
            })
          : process.env.ZG_PRIVATE_KEY
        if (raw === undefined || raw.trim() === "") return yield* new NoKeyConfigured()
        const { parsePrivateKey } = yield* lazy.core
        const key = yield* parsePrivateKey(raw)
        const password = yield* readPassword(passwordFile, true)
        const entry = yield* saveKey(name, key, password)
        yield* makePrinter(g.json).result(entry, () => `imported key "${entry.name}" for ${entry.address}`)
      }),
    ),
).pipe(Command.withDescription("encrypt an existing key (from ZG_PRIVATE_KEY or --from-file) into the keystore"))

const list = Command.make("list", {}, () =>
  withErrors(
    Effect.gen(function* () {
      const g = yield* globals
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

const remove = Command.make("remove", { name: nameArg }, ({ name }) =>
  withErrors(
    Effect.gen(function* () {
      const g = yield* globals
      yield* removeKey(name)
      yield* makePrinter(g.json).result({ removed: name }, () => `removed key "${name}"`)
    }),
  ),
).pipe(Command.withDescription("delete a keystore entry"))

export const keysCommand = Command.make("keys").pipe(
  Command.withDescription("the encrypted keystore (scrypt JSON wallets)"),
  Command.withSubcommands([create, importKey, list, remove]),
)
