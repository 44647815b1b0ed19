/**
 * Ledger writes. Each one validates its input and the on-chain state it depends on before building a transaction,
 * mirroring the contract's own checks (contracts.md §5.3, §6) so failures are typed and free; the wallet-balance
 * check for payable calls and revert decoding live in the transaction engine.
 */
import {
  BelowMinimum,
  type ChainShape,
  formatZG,
  InsufficientBalance,
  InvalidAddress,
  InvalidAmount,
  type MalformedData,
  parseAddress,
  type RpcError,
  SignerRequired,
} from "@0g-compute/core"
import { Effect, Option } from "effect"
import { type ContractTransaction, ZeroAddress } from "ethers"
import { ledgerManager } from "../clients.js"
import {
  AdditionalInfoTooLong,
  type ContractRevert,
  InvalidAdditionalInfo,
  type InvalidServiceType,
  LedgerAlreadyExists,
  LedgerNotEmpty,
  LedgerNotFound,
  ProviderIsSelf,
  RefundWouldStrand,
  type ServiceNotRegistered,
} from "../errors.js"
import { isRevert } from "../revert.js"
import type { TxResult } from "../tx/engine.js"
import type { Writer } from "./service.js"
import { ledgerProviders, subAccountState } from "./subaccounts.js"
import type { LedgerInfo, LedgerLimits, ResolvedService } from "./types.js"

type ReadError = ContractRevert | RpcError | MalformedData

export interface WriteDeps {
  readonly chain: ChainShape
  readonly writer: Option.Option<Writer>
  readonly limits: Effect.Effect<LedgerLimits, ContractRevert | RpcError>
  readonly service: (
    serviceType: string,
  ) => Effect.Effect<ResolvedService, ReadError | InvalidServiceType | ServiceNotRegistered>
  readonly ledgerOf: (user: string) => Effect.Effect<Option.Option<LedgerInfo>, ReadError>
}

const positive = (amount: bigint) =>
  amount > 0n
    ? Effect.void
    : Effect.fail(new InvalidAmount({ input: formatZG(amount), reason: "the amount must be greater than zero" }))

/** An address money is sent to or named by: valid, and never the zero address (nothing can own it). */
const counterparty = (input: string) =>
  Effect.flatMap(parseAddress(input), (a) =>
    a === ZeroAddress ? Effect.fail(new InvalidAddress({ input })) : Effect.succeed(a),
  )

const utf8Length = (s: string) => new TextEncoder().encode(s).length

export const makeWrites = ({ chain, writer, limits, service, ledgerOf }: WriteDeps) => {
  const lm = ledgerManager(chain.contracts.ledger, chain.provider)

  const signer = (operation: string) =>
    Option.match(writer, {
      onNone: () => Effect.fail(new SignerRequired({ operation })),
      onSome: (w) => Effect.succeed(w),
    })

  const existing = (user: string) =>
    Effect.flatMap(ledgerOf(user), (l) =>
      Option.isSome(l) ? Effect.succeed(l.value) : Effect.fail(new LedgerNotFound({ user })),
    )

  /**
   * Builds calldata with the typed client, sends it as the intent `ledger.<op>:<args>` (a re-run while an
   * earlier one is unresolved settles that one), and names the two ledger reverts like the preflight does.
   */
  const send = (w: Writer, user: string, intent: string, populate: () => Promise<ContractTransaction>, value = 0n) =>
    Effect.promise(populate).pipe(
      Effect.flatMap((t) =>
        w.tx.send({
          to: chain.contracts.ledger,
          data: t.data,
          value,
          contract: "LedgerManager",
          intent: `ledger.${intent}`,
        }),
      ),
      Effect.catchIf(
        (e) => isRevert(e, "LedgerNotExists") || isRevert(e, "LedgerExists"),
        (e) =>
          Effect.fail(isRevert(e, "LedgerExists") ? new LedgerAlreadyExists({ user }) : new LedgerNotFound({ user })),
      ),
    )

  const add = Effect.fn("Ledger.add")(function* (amount: bigint, info?: string) {
    const w = yield* signer("ledger.add()")
    const additionalInfo = info ?? ""
    if (typeof additionalInfo !== "string") {
      return yield* new InvalidAdditionalInfo({ input: `${typeof additionalInfo} ${String(additionalInfo)}` })
    }
    yield* positive(amount)
    const lim = yield* limits
    const length = utf8Length(additionalInfo)
    if (length > lim.maxAdditionalInfoLength) {
      return yield* new AdditionalInfoTooLong({ length, max: lim.maxAdditionalInfoLength })
    }
    if (Option.isSome(yield* ledgerOf(w.address))) return yield* new LedgerAlreadyExists({ user: w.address })
    if (amount < lim.minAccountBalance) {
      return yield* new BelowMinimum({ what: "Initial ledger deposit", amount, minimum: lim.minAccountBalance })
    }
    return yield* send(
      w,
      w.address,
      `add:${w.address}:${amount}`,
      () => lm.addLedger.populateTransaction(additionalInfo),
      amount,
    )
  })

  /** Deposits create a missing ledger, which then needs MIN_ACCOUNT_BALANCE. */
  const depositPreflight = (recipient: string, amount: bigint) =>
    Effect.gen(function* () {
      yield* positive(amount)
      const ledger = yield* ledgerOf(recipient)
      const lim = yield* limits
      if (Option.isNone(ledger) && amount < lim.minAccountBalance) {
        return yield* new BelowMinimum({
          what: `Deposit creating the ledger of ${recipient}`,
          amount,
          minimum: lim.minAccountBalance,
        })
      }
    })

  const deposit = Effect.fn("Ledger.deposit")(function* (amount: bigint) {
    const w = yield* signer("ledger.deposit()")
    yield* depositPreflight(w.address, amount)
    return yield* send(
      w,
      w.address,
      `deposit:${w.address}:${amount}`,
      () => lm.depositFund.populateTransaction(),
      amount,
    )
  })

  const depositFor = Effect.fn("Ledger.depositFor")(function* (recipient: string, amount: bigint) {
    const w = yield* signer("ledger.deposit()")
    const to = yield* counterparty(recipient)
    yield* depositPreflight(to, amount)
    return yield* send(w, to, `depositFor:${to}:${amount}`, () => lm.depositFundFor.populateTransaction(to), amount)
  })

  const refund = Effect.fn("Ledger.refund")(function* (amount: bigint) {
    const w = yield* signer("ledger.refund()")
    yield* positive(amount)
    const ledger = yield* existing(w.address)
    if (amount > ledger.available) {
      return yield* new InsufficientBalance({
        what: "available ledger balance",
        required: amount,
        available: ledger.available,
      })
    }
    const remaining = ledger.available - amount
    const { minAccountBalance } = yield* limits
    if (remaining > 0n && remaining < minAccountBalance) {
      return yield* new RefundWouldStrand({ amount, remaining, minimum: minAccountBalance })
    }
    return yield* send(w, w.address, `refund:${w.address}:${amount}`, () => lm.refund.populateTransaction(amount))
  })

  const transfer = Effect.fn("Ledger.transfer")(function* (provider: string, serviceType: string, amount: bigint) {
    const w = yield* signer("ledger.transfer()")
    const svc = yield* service(serviceType)
    const to = yield* counterparty(provider)
    // The serving contract rejects this, but LedgerManager reports any inner failure as a bare CallFailed.
    if (to.toLowerCase() === w.address.toLowerCase()) return yield* new ProviderIsSelf({ provider: to })
    yield* positive(amount)
    const ledger = yield* existing(w.address)
    const sub = yield* subAccountState(chain, svc, w.address, to)
    if (!sub.exists) {
      const { minTransferAmount } = yield* limits
      if (amount < minTransferAmount) {
        return yield* new BelowMinimum({ what: "First transfer to a sub-account", amount, minimum: minTransferAmount })
      }
    }
    // Pending refunds are cancelled first; only the rest leaves the ledger's available balance.
    const leaving = amount - (sub.pendingRefund < amount ? sub.pendingRefund : amount)
    if (leaving > ledger.available) {
      return yield* new InsufficientBalance({
        what: "available ledger balance",
        required: leaving,
        available: ledger.available,
      })
    }
    return yield* send(w, w.address, `transfer:${w.address}:${to}:${svc.name}:${amount}`, () =>
      lm.transferFund.populateTransaction(to, svc.name, amount),
    )
  })

  const retrieve = Effect.fn("Ledger.retrieve")(function* (serviceType: string, providers?: ReadonlyArray<string>) {
    const w = yield* signer("ledger.retrieve()")
    const svc = yield* service(serviceType)
    // Plain JavaScript: null means all providers, like undefined; one address stands for a list of one.
    const asked = typeof providers === "string" ? [providers] : (providers ?? undefined)
    const given = asked === undefined ? undefined : yield* Effect.forEach(asked, counterparty)
    yield* existing(w.address)
    const list = given ?? (yield* ledgerProviders(chain, svc, w.address))
    const unique = [...new Map(list.map((p) => [p.toLowerCase(), p])).values()]
    const { maxProvidersPerBatch } = yield* limits
    const size = Math.max(1, maxProvidersPerBatch)
    const results: TxResult[] = []
    for (let i = 0; i < unique.length; i += size) {
      const batch = unique.slice(i, i + size)
      results.push(
        yield* send(w, w.address, `retrieve:${w.address}:${svc.name}:${batch.join(",")}`, () =>
          lm.retrieveFund.populateTransaction(batch, svc.name),
        ),
      )
    }
    return results
  })

  const del = Effect.fn("Ledger.delete")(function* () {
    const w = yield* signer("ledger.delete()")
    const ledger = yield* existing(w.address)
    if (ledger.total > 0n) return yield* new LedgerNotEmpty({ total: ledger.total, available: ledger.available })
    return yield* send(w, w.address, `delete:${w.address}`, () => lm.deleteLedger.populateTransaction())
  })

  return { add, deposit, depositFor, refund, transfer, retrieve, delete: del }
}
