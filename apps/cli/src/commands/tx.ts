/**
 * `0g-compute tx wait <hash> | speed-up <hash> [--bump <percent>] | cancel <hash> [--bump <percent>] | pending`:
 * explicit control over transactions the SDK signed (the hash every transaction error reports), backed by the same
 * engine and journal as every other command.
 */
import type { PendingIntent, TxEngineShape, TxResult } from "@0g-compute/contracts"
import { Data, Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { type GlobalOptions, signingLayer } from "../context.js"
import type { TaggedFailure } from "../failure.js"
import * as lazy from "../lazy.js"
import { keyValues, makePrinter, table, zg } from "../output.js"
import { withGlobals } from "./root.js"

export class InvalidTxHash extends Data.TaggedError("InvalidTxHash")<{ readonly input: string }> {
  override get message() {
    return `${JSON.stringify(this.input)} is not a transaction hash (0x followed by 64 hex digits)`
  }
}

const hashArg = Argument.String("hash").pipe(Argument.withDescription("transaction hash (0x…)"))
const bumpFlag = Flag.Finite("bump").pipe(
  Flag.withDescription("fee increase in percent over the pending transaction (at least 10; default 12.5)"),
  Flag.optional,
)

const parseHash = (input: string) =>
  /^0x[0-9a-fA-F]{64}$/.test(input.trim())
    ? Effect.succeed(input.trim().toLowerCase())
    : Effect.fail(new InvalidTxHash({ input }))

/** Runs `f` with the transaction engine of the configured key (signing layer + the journal next to the keystore). */
const withEngine = <A, E extends TaggedFailure>(f: (g: GlobalOptions, engine: TxEngineShape) => Effect.Effect<A, E>) =>
  withGlobals((g) =>
    Effect.gen(function* () {
      const { TxEngine } = yield* lazy.contracts
      const layer = TxEngine.layer().pipe(Layer.provide(signingLayer(g)))
      return yield* Effect.gen(function* () {
        return yield* f(g, yield* TxEngine)
      }).pipe(Effect.provide(layer))
    }),
  )

const minedLines = (r: TxResult) =>
  keyValues([
    ["hash", r.hash],
    ["block", String(r.blockNumber)],
    ["nonce", String(r.nonce)],
    ["gas fee", zg(r.fee)],
  ])

const wait = Command.make(
  "wait",
  {
    hash: hashArg,
    timeout: Flag.Int("timeout").pipe(Flag.withDescription("seconds to wait (default 120)"), Flag.optional),
  },
  ({ hash, timeout }) =>
    withEngine((g, engine) =>
      Effect.gen(function* () {
        const h = yield* parseHash(hash)
        const r = yield* engine.wait(h, Option.isSome(timeout) ? { timeoutMs: timeout.value * 1000 } : {})
        const replaced = r.hash.toLowerCase() !== h
        yield* makePrinter(g.json).result({ action: "wait", hash: h, replaced, tx: r }, () =>
          [replaced ? `mined as its replacement ${r.hash}` : "mined", minedLines(r)].join("\n"),
        )
      }),
    ),
).pipe(Command.withDescription("wait for a transaction (or its replacement) and show its outcome"))

const replacement = (
  action: "speed-up" | "cancel",
  run: (e: TxEngineShape, h: string, bump?: number) => ReturnType<TxEngineShape["speedUp" | "cancel"]>,
) =>
  Command.make(action, { hash: hashArg, bump: bumpFlag }, ({ hash, bump }) =>
    withEngine((g, engine) =>
      Effect.gen(function* () {
        const h = yield* parseHash(hash)
        const r = yield* run(engine, h, Option.getOrUndefined(bump))
        const what = action === "cancel" ? "cancelled by" : "replaced by"
        yield* makePrinter(g.json).result({ action, original: h, tx: r }, () =>
          [
            r.replaced ? `${what} ${r.replacement}` : `too late: the original ${r.hash} was mined first`,
            minedLines(r),
          ].join("\n"),
        )
      }),
    ),
  )

const speedUp = replacement("speed-up", (e, h, bump) =>
  e.speedUp(h, bump === undefined ? {} : { bumpPercent: bump }),
).pipe(Command.withDescription("resend a pending transaction at the same nonce with higher fees"))

const cancel = replacement("cancel", (e, h, bump) => e.cancel(h, bump === undefined ? {} : { bumpPercent: bump })).pipe(
  Command.withDescription("replace a pending transaction with a zero-value transfer to yourself"),
)

const pendingRows = (list: ReadonlyArray<PendingIntent>) =>
  list.map((p) => [p.intent, p.hash, String(p.nonce), p.state, p.createdAt])

const pending = Command.make("pending", {}, () =>
  withEngine((g, engine) =>
    Effect.gen(function* () {
      const list = yield* engine.pending
      yield* makePrinter(g.json).result({ journal: engine.journal.location, pending: list }, () =>
        list.length === 0
          ? "no unresolved transactions"
          : table(["intent", "hash", "nonce", "state", "signed at"], pendingRows(list)),
      )
    }),
  ),
).pipe(Command.withDescription("list transactions signed but not yet settled (from the local journal)"))

export const txCommand = Command.make("tx").pipe(
  Command.withDescription("wait for, speed up or cancel a transaction you sent"),
  Command.withSubcommands([wait, speedUp, cancel, pending]),
)
