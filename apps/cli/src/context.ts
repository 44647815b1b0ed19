/**
 * Turns the global flags into the packages' Effect services: which chain, which key, the transaction engine and ledger
 * the feature services act through. Keys come from ZG_PRIVATE_KEY, --key-file or --key, never from a flag value, and
 * stay Redacted.
 */
import { readFile } from "node:fs/promises"
import { NETWORKS, parseNetwork } from "@0g-compute/core/light"
import { Data, Effect, Layer, Option, Redacted } from "effect"
import { KEY_HINT } from "./failure.js"
import { CliIO } from "./io.js"
import { unlockKey, WrongPassword } from "./keystore.js"
import * as lazy from "./lazy.js"
import { readPassword } from "./password.js"
import { warnIfShared } from "./permissions.js"
import { txJournalLayer } from "./tx-journal.js"

export interface GlobalOptions {
  readonly network: string
  /** The profile in effect, if any. */
  readonly profile: Option.Option<string>
  readonly rpc: Option.Option<string>
  readonly keyFile: Option.Option<string>
  readonly key: Option.Option<string>
  readonly passwordFile: Option.Option<string>
  readonly json: boolean
  readonly verbose: boolean
}

export class KeyFileUnreadable extends Data.TaggedError("KeyFileUnreadable")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Cannot read key file ${JSON.stringify(this.path)}: ${this.reason}`
  }
}

export class NoKeyConfigured extends Data.TaggedError("NoKeyConfigured") {
  override get message() {
    return `No signing key: ${KEY_HINT}`
  }
}

/**
 * The signing key, if one is configured: --key-file (a plain key or an encrypted JSON wallet), then --key (a keystore
 * entry), then ZG_PRIVATE_KEY. Read once per invocation: a pipe (`--key-file <(…)`) can be read only once, and a
 * password prompt answered once.
 */
export const loadKey = (options: GlobalOptions) =>
  Effect.gen(function* () {
    const io = yield* CliIO
    const id = JSON.stringify([options.keyFile, options.key, options.passwordFile].map(Option.getOrNull))
    const cached = io.keys.get(id)
    if (cached !== undefined) return cached
    const key = yield* readKey(options, io.env.ZG_PRIVATE_KEY)
    io.keys.set(id, key)
    return key
  })

/** What --key-file and `keys import --from-file` read. */
export const KEY_FILE_HELP = "file or pipe holding the private key (otherwise ZG_PRIVATE_KEY)"

/** A key file's text (read once: it may be a pipe), after warning when others can read it. */
export const readKeyFile = (path: string) =>
  Effect.andThen(
    warnIfShared(path, "key file"),
    Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (e) => new KeyFileUnreadable({ path, reason: (e as NodeJS.ErrnoException).code ?? "unreadable" }),
    }),
  )

const readKey = (options: GlobalOptions, env: string | undefined) =>
  Effect.gen(function* () {
    if (Option.isSome(options.keyFile)) {
      const path = options.keyFile.value
      const text = yield* readKeyFile(path)
      if (text.trimStart().startsWith("{")) {
        const { Wallet, isKeystoreJson } = yield* lazy.ethers
        // Any other JSON is no wallet: say so, rather than ask for a password and call it wrong.
        if (!isKeystoreJson(text))
          return yield* new KeyFileUnreadable({ path, reason: "JSON, but not an encrypted JSON wallet (keystore v3)" })
        const password = yield* readPassword(options.passwordFile)
        const wallet = yield* Effect.tryPromise({
          try: () => Wallet.fromEncryptedJson(text, Redacted.value(password)),
          catch: () => new WrongPassword({ name: path }),
        })
        return Option.some(Redacted.make(wallet.privateKey))
      }
      const { parsePrivateKey } = yield* lazy.core
      return Option.some(yield* parsePrivateKey(text))
    }
    if (Option.isSome(options.key)) {
      return Option.some(yield* unlockKey(options.key.value, yield* readPassword(options.passwordFile)))
    }
    if (env !== undefined && env.trim() !== "") {
      const { parsePrivateKey } = yield* lazy.core
      return Option.some(yield* parsePrivateKey(env))
    }
    return Option.none<Redacted.Redacted<string>>()
  })

export const requireKey = (options: GlobalOptions) =>
  Effect.flatMap(loadKey(options), (k) =>
    Option.isSome(k) ? Effect.succeed(k.value) : Effect.fail(new NoKeyConfigured()),
  )

/** The RPC URL and expected preset for `--network` (preset or RPC URL) and an optional `--rpc` override. */
export const rpcOf = (options: GlobalOptions) =>
  Effect.map(parseNetwork(options.network), (sel) =>
    sel._tag === "CustomRpc"
      ? { rpcUrl: sel.rpcUrl, network: undefined }
      : { rpcUrl: Option.getOrElse(options.rpc, () => NETWORKS[sel.preset.name].rpcUrl), network: sel.preset.name },
  )

/** The Chain layer for the global options. */
export const chainLayer = (options: GlobalOptions) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const { rpcUrl, network } = yield* rpcOf(options)
      const { chainLayerFromRpc } = yield* lazy.core
      return network === undefined ? chainLayerFromRpc(rpcUrl) : chainLayerFromRpc(rpcUrl, { network })
    }),
  )

/** Chain + Wallet for commands that sign, and the transaction journal next to the keystore. */
export const signingLayer = (options: GlobalOptions) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const key = yield* requireKey(options)
      const { walletLayerFromPrivateKey } = yield* lazy.core
      return walletLayerFromPrivateKey(key)
    }),
  ).pipe(Layer.provideMerge(chainLayer(options)), Layer.provideMerge(txJournalLayer))

/**
 * Chain, Wallet, TxEngine (journaled next to the keystore) and Ledger: what the inference, fine-tuning and storage
 * services act through.
 */
export const ledgerStack = (options: GlobalOptions) =>
  Layer.unwrap(
    Effect.map(lazy.contracts, ({ Ledger, TxEngine }) =>
      Layer.provideMerge(Ledger.layer, TxEngine.layer()).pipe(Layer.provideMerge(signingLayer(options))),
    ),
  )
