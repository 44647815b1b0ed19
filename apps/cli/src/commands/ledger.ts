/**
 * `0g-compute ledger show|add|deposit|refund|transfer|retrieve|delete`.
 */

import type { LedgerShape, SubAccount, TxResult } from "@0g-compute/contracts"
import { parseZG } from "@0g-compute/core/light"
import { Effect, Layer, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { chainLayer, type GlobalOptions, loadKey, NoKeyConfigured, signingLayer } from "../context.js"
import { AddressNeeded, type TaggedFailure } from "../failure.js"
import * as lazy from "../lazy.js"
import { keyValues, makePrinter, table, zg } from "../output.js"
import { providerFlag } from "./flags.js"
import { globals, withErrors } from "./root.js"

const amountArg = Argument.String("amount").pipe(Argument.withDescription("amount in 0G, e.g. 1.5"))
const serviceFlag = Flag.Literals("service", ["inference", "fine-tuning"]).pipe(
  Flag.withDescription("which serving contract"),
)

/** Runs `f` with a Ledger for the global options: signing when a key is configured (or required), else read-only. */
const withLedger = <A, E extends TaggedFailure, EV extends TaggedFailure = never>(
  needsKey: boolean,
  f: (g: GlobalOptions, ledger: LedgerShape, keyed: boolean) => Effect.Effect<A, E>,
  validate: Effect.Effect<unknown, EV> = Effect.void,
) =>
  withErrors(
    Effect.gen(function* () {
      // Bad input is refused before any key is unlocked or RPC contacted.
      yield* validate
      const g = yield* globals
      const key = yield* loadKey(g)
      if (needsKey && Option.isNone(key)) return yield* new NoKeyConfigured()
      const { Ledger, TxEngine } = yield* lazy.contracts
      const layer =
        needsKey || Option.isSome(key)
          ? Ledger.layer.pipe(Layer.provide(TxEngine.layer()), Layer.provide(signingLayer(g)))
          : Ledger.layerReadOnly.pipe(Layer.provide(chainLayer(g)))
      return yield* Effect.gen(function* () {
        return yield* f(g, yield* Ledger, Option.isSome(key))
      }).pipe(Effect.provide(layer))
    }),
  )

/** An address argument, checked up front (parseAddress lives with ethers, so it is loaded lazily). */
const parseAddress = (input: string) => Effect.flatMap(lazy.core, (core) => core.parseAddress(input))

const txLine = (r: { hash: string; fee: bigint }) => `tx ${r.hash} (gas ${zg(r.fee)})`

const subAccountRow = (s: SubAccount) => [
  s.serviceName,
  s.provider,
  zg(s.balance),
  zg(s.pendingRefund),
  s.refunds.length === 0
    ? "-"
    : s.refunds.map((r) => (r.remainingLockSeconds === 0n ? "unlocked" : `${r.remainingLockSeconds}s`)).join(", "),
]

const subAccountTable = (subs: ReadonlyArray<SubAccount>) =>
  table(["service", "provider", "balance", "pending refund", "refund locks"], subs.map(subAccountRow))

const show = Command.make(
  "show",
  { address: Flag.String("address").pipe(Flag.withDescription("whose ledger (default: your key's)"), Flag.optional) },
  ({ address }) =>
    withLedger(false, (g, ledger, keyed) =>
      Effect.gen(function* () {
        if (Option.isNone(address) && !keyed) return yield* new AddressNeeded({ command: "ledger show" })
        const who = Option.isSome(address) ? yield* parseAddress(address.value) : undefined
        const info = yield* ledger.get(who)
        const subs = yield* ledger.listSubAccounts(undefined, info.user)
        yield* makePrinter(g.json).result({ ledger: info, subAccounts: subs }, () =>
          [
            keyValues([
              ["user", info.user],
              ["total", zg(info.total)],
              ["available", zg(info.available)],
              ["in sub-accounts", zg(info.locked)],
            ]),
            subs.length === 0 ? "no sub-accounts" : subAccountTable(subs),
          ].join("\n\n"),
        )
      }),
    ),
).pipe(Command.withDescription("show a ledger and its sub-accounts"))

/**
 * One ledger transaction moving `amount` 0G, printed with its hash and gas. The amount (and `validate`'s inputs) are
 * checked before any key is unlocked or RPC contacted.
 */
const amountTx = <E extends TaggedFailure, EV extends TaggedFailure = never>(
  action: string,
  amount: string,
  send: (ledger: LedgerShape, value: bigint) => Effect.Effect<TxResult, E>,
  done: (value: bigint) => string,
  extra: { readonly fields?: Record<string, unknown>; readonly validate?: Effect.Effect<unknown, EV> } = {},
) =>
  withLedger(
    true,
    (g, ledger) =>
      Effect.gen(function* () {
        const value = yield* parseZG(amount)
        const tx = yield* send(ledger, value)
        yield* makePrinter(g.json).result(
          { action, ...extra.fields, amount: value, tx },
          () => `${done(value)}; ${txLine(tx)}`,
        )
      }),
    Effect.all([parseZG(amount), extra.validate ?? Effect.void]),
  )

const add = Command.make(
  "add",
  { amount: amountArg, info: Flag.String("info").pipe(Flag.withDescription("additional info"), Flag.withDefault("")) },
  ({ amount, info }) =>
    amountTx(
      "add",
      amount,
      (ledger, value) => ledger.add(value, info),
      (value) => `ledger created with ${zg(value)}`,
    ),
).pipe(Command.withDescription("create your ledger with an initial deposit"))

const deposit = Command.make(
  "deposit",
  {
    amount: amountArg,
    recipient: Flag.String("for").pipe(Flag.withDescription("deposit into another address's ledger"), Flag.optional),
  },
  ({ amount, recipient }) =>
    amountTx(
      "deposit",
      amount,
      (ledger, value) => (Option.isSome(recipient) ? ledger.depositFor(recipient.value, value) : ledger.deposit(value)),
      (value) => `deposited ${zg(value)} into ${Option.getOrElse(recipient, () => "your ledger")}`,
      {
        fields: { recipient: Option.getOrNull(recipient) },
        ...(Option.isSome(recipient) ? { validate: parseAddress(recipient.value) } : {}),
      },
    ),
).pipe(Command.withDescription("add funds to a ledger (creates it when missing)"))

const refund = Command.make("refund", { amount: amountArg }, ({ amount }) =>
  amountTx(
    "refund",
    amount,
    (ledger, value) => ledger.refund(value),
    (value) => `withdrew ${zg(value)} to your wallet`,
  ),
).pipe(Command.withDescription("withdraw available ledger funds to your wallet"))

const transfer = Command.make(
  "transfer",
  { provider: providerFlag, service: serviceFlag, amount: amountArg },
  ({ provider, service, amount }) =>
    amountTx(
      "transfer",
      amount,
      (ledger, value) => ledger.transfer(provider, service, value),
      (value) => `moved ${zg(value)} to the ${service} sub-account of ${provider}`,
      { fields: { provider, service }, validate: parseAddress(provider) },
    ),
).pipe(Command.withDescription("fund a provider sub-account from the ledger"))

const retrieve = Command.make(
  "retrieve",
  {
    service: serviceFlag.pipe(Flag.optional),
    providers: Flag.String("provider").pipe(Flag.withDescription("only this provider (repeatable)"), Flag.atLeast(0)),
  },
  ({ service, providers }) =>
    withLedger(true, (g, ledger) =>
      Effect.gen(function* () {
        const types = Option.isSome(service) ? [service.value] : (["inference", "fine-tuning"] as const)
        const txs: Array<TxResult> = []
        for (const t of types) txs.push(...(yield* ledger.retrieve(t, providers.length > 0 ? providers : undefined)))
        const subs = yield* ledger.listSubAccounts(Option.getOrUndefined(service))
        yield* makePrinter(g.json).result({ action: "retrieve", txs, subAccounts: subs }, () =>
          [
            txs.length === 0 ? "nothing to retrieve" : txs.map(txLine).join("\n"),
            subs.length === 0 ? "" : subAccountTable(subs),
          ]
            .filter((s) => s !== "")
            .join("\n\n"),
        )
      }),
    ),
).pipe(Command.withDescription("lock sub-account funds for refund and collect unlocked refunds into the ledger"))

const del = Command.make("delete", {}, () =>
  withLedger(true, (g, ledger) =>
    Effect.gen(function* () {
      const r = yield* ledger.delete()
      yield* makePrinter(g.json).result({ action: "delete", tx: r }, () => `ledger deleted; ${txLine(r)}`)
    }),
  ),
).pipe(Command.withDescription("delete an empty ledger"))

export const ledgerCommand = Command.make("ledger").pipe(
  Command.withDescription("your ledger and provider sub-accounts"),
  Command.withSubcommands([show, add, deposit, refund, transfer, retrieve, del]),
)
