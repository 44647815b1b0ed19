/**
 * Turns the global flags into services: which chain, which key. Keys come from ZG_PRIVATE_KEY or --key-file,
 * never from a flag value, and stay Redacted.
 */
import { readFile } from "node:fs/promises"
import { describeCause, isZgError, NETWORKS, parseNetwork } from "@0g-compute/core"
import { Data, Effect, Layer, Option, Redacted } from "effect"
import { UnexpectedError } from "./failure.js"
import { unlockKey, WrongPassword } from "./keystore.js"
import * as lazy from "./lazy.js"
import { readPassword } from "./password.js"
import { warnIfShared } from "./permissions.js"
import { txJournal, txJournalLayer } from "./tx-journal.js"

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
    return `Cannot read key file ${this.path}: ${this.reason}`
  }
}

export class NoKeyConfigured extends Data.TaggedError("NoKeyConfigured") {
  override get message() {
    return "No signing key: set ZG_PRIVATE_KEY, pass --key-file <path> or --key <keystore name>"
  }
}

/**
 * The signing key, if one is configured: --key-file (a plain key or an encrypted JSON wallet), then --key (a keystore
 * entry), then ZG_PRIVATE_KEY.
 */
export const loadKey = (options: GlobalOptions) => {
  const id = JSON.stringify([options.keyFile, options.key, options.passwordFile].map(Option.getOrNull))
  const cached = loadedKeys.get(id)
  return cached !== undefined
    ? Effect.succeed(cached)
    : Effect.tap(readKey(options), (k) => Effect.sync(() => loadedKeys.set(id, k)))
}

/** One read per process: a pipe (`--key-file <(…)`) can be read only once, and a password prompt answered once. */
const loadedKeys = new Map<string, Option.Option<Redacted.Redacted<string>>>()

const readKey = (options: GlobalOptions) =>
  Effect.gen(function* () {
    if (Option.isSome(options.keyFile)) {
      const path = options.keyFile.value
      yield* warnIfShared(path, "key file")
      const text = yield* Effect.tryPromise({
        try: () => readFile(path, "utf8"),
        catch: (e) => new KeyFileUnreadable({ path, reason: (e as NodeJS.ErrnoException).code ?? "unreadable" }),
      })
      if (text.trimStart().startsWith("{")) {
        const password = yield* readPassword(options.passwordFile)
        const { Wallet } = yield* lazy.ethers
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
    const env = process.env.ZG_PRIVATE_KEY
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

/** The Chain layer for `--network` (preset or RPC URL) and an optional `--rpc` override for a preset. */
export const chainLayer = (options: GlobalOptions) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const sel = yield* parseNetwork(options.network)
      const { chainLayerFromRpc } = yield* lazy.core
      if (sel._tag === "CustomRpc") return chainLayerFromRpc(sel.rpcUrl)
      const rpcUrl = Option.getOrElse(options.rpc, () => NETWORKS[sel.preset.name].rpcUrl)
      return chainLayerFromRpc(rpcUrl, { network: sel.preset.name })
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
 * What the Promise facades of the feature packages take: the RPC, the expected preset, the key (if any) and the
 * transaction journal next to the keystore.
 */
export const connectionOptions = (options: GlobalOptions) =>
  Effect.gen(function* () {
    const sel = yield* parseNetwork(options.network)
    const key = yield* loadKey(options)
    const base =
      sel._tag === "CustomRpc"
        ? { rpcUrl: sel.rpcUrl }
        : { rpcUrl: Option.getOrElse(options.rpc, () => sel.preset.rpcUrl), network: sel.preset.name }
    return { ...base, ...(Option.isSome(key) ? { privateKey: key.value } : {}), tx: { journal: yield* txJournal } }
  })

/**
 * Runs a facade call. A typed rejection is the failure unchanged; anything else (a library's plain Error) becomes an
 * UnexpectedError that keeps it as cause, so the one error printer can still name a refused socket or a busy port.
 */
export const call = <A>(f: () => Promise<A>, operation = "the request") =>
  Effect.tryPromise({
    try: f,
    catch: (e) => (isZgError(e) ? e : new UnexpectedError({ operation, detail: describeCause(e), cause: e })),
  })
