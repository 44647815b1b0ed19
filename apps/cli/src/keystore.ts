/**
 * Encrypted keystore: scrypt JSON wallets (the Ethereum keystore v3 format) under the user's config dir.
 * Never a plaintext key on disk; the password comes from ZG_KEYSTORE_PASSWORD, --password-file or a TTY prompt.
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises"
import { homedir } from "node:os"
import { join } from "node:path"
import { Data, Effect, Redacted } from "effect"
import { CliIO } from "./io.js"
import * as lazy from "./lazy.js"
import { warnIfShared } from "./permissions.js"

export class KeystoreError extends Data.TaggedError("KeystoreError")<{
  readonly name: string
  readonly reason: string
}> {
  override get message() {
    return `Keystore entry "${this.name}": ${this.reason}`
  }
}

export class WrongPassword extends Data.TaggedError("WrongPassword")<{ readonly name: string }> {
  override get message() {
    return `Wrong password for keystore entry "${this.name}"`
  }
}

export class InvalidKeyName extends Data.TaggedError("InvalidKeyName")<{ readonly name: string }> {
  override get message() {
    return `Invalid key name ${JSON.stringify(this.name)}: use letters, digits, '-' and '_' (at most 64)`
  }
}

/** `$ZG_CONFIG_DIR`, else `$XDG_CONFIG_HOME/0g-compute`, else `~/.config/0g-compute` (of this invocation's env). */
export const configDir = CliIO.useSync(
  ({ env }) => env.ZG_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "0g-compute"),
)

const keysDir = Effect.map(configDir, (dir) => join(dir, "keys"))

export const checkName = (name: string) =>
  /^[A-Za-z0-9_-]{1,64}$/.test(name) ? Effect.succeed(name) : Effect.fail(new InvalidKeyName({ name }))

const entryPath = (name: string) => Effect.map(keysDir, (dir) => join(dir, `${name}.json`))

export interface KeystoreEntry {
  readonly name: string
  readonly address: string
}

/** Encrypts `privateKey` under `name`; refuses to overwrite an existing entry. */
export const saveKey = (name: string, privateKey: Redacted.Redacted<string>, password: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    yield* checkName(name)
    const { Wallet } = yield* lazy.ethers
    const wallet = new Wallet(Redacted.value(privateKey))
    const json = yield* Effect.promise(() => wallet.encrypt(Redacted.value(password)))
    const dir = yield* keysDir
    const path = yield* entryPath(name)
    yield* Effect.tryPromise({
      try: async () => {
        await mkdir(dir, { recursive: true, mode: 0o700 })
        // "wx": fail if it exists, so a typo never destroys a key.
        await writeFile(path, json, { flag: "wx", mode: 0o600 })
      },
      catch: (e) =>
        new KeystoreError({
          name,
          reason: (e as NodeJS.ErrnoException).code === "EEXIST" ? "already exists" : "cannot write",
        }),
    })
    yield* warnIfShared(dir, "keys directory")
    return { name, address: wallet.address } satisfies KeystoreEntry
  })

export const listKeys = Effect.flatMap(keysDir, (dir) =>
  Effect.tryPromise({
    try: async () => {
      const { getAddress } = await import("ethers")
      const files = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return [] as string[]
        throw e
      })
      const entries: KeystoreEntry[] = []
      for (const f of files.filter((x) => x.endsWith(".json")).sort()) {
        const doc = JSON.parse(await readFile(join(dir, f), "utf8")) as { address?: string }
        entries.push({
          name: f.slice(0, -5),
          address: doc.address ? getAddress(`0x${doc.address.replace(/^0x/, "")}`) : "unknown",
        })
      }
      return entries
    },
    catch: () => new KeystoreError({ name: "*", reason: "cannot read the keystore directory" }),
  }),
)

/** Decrypts entry `name` into a Redacted private key. */
export const unlockKey = (name: string, password: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    yield* checkName(name)
    const path = yield* entryPath(name)
    yield* warnIfShared(yield* keysDir, "keys directory")
    yield* warnIfShared(path, "keystore entry")
    const json = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: () => new KeystoreError({ name, reason: "not found (see `0g-compute keys list`)" }),
    })
    const { Wallet } = yield* lazy.ethers
    const wallet = yield* Effect.tryPromise({
      try: () => Wallet.fromEncryptedJson(json, Redacted.value(password)),
      catch: () => new WrongPassword({ name }),
    })
    return Redacted.make(wallet.privateKey)
  })

export const removeKey = (name: string) =>
  Effect.gen(function* () {
    yield* checkName(name)
    const path = yield* entryPath(name)
    yield* Effect.tryPromise({
      try: () => rm(path),
      catch: () => new KeystoreError({ name, reason: "not found (see `0g-compute keys list`)" }),
    })
  })
