/**
 * `Funding`: keeps the sub-account with a provider able to pay, explicitly and never from the request path.
 *
 * A provider admits a request only while `balance − pendingRefund ≥ unsettled + reserve` (1 0G, §5). We top up to
 * `unsettled + reserve + headroom` whenever the spendable balance falls below `unsettled + reserve + headroom / 2`,
 * reading the debt from the provider's `unsettledfee` route (falling back to the last reading plus local spend) and
 * the balance from chain. Transfers go through the `Ledger` service, whose preflight fails with a typed error when the
 * ledger cannot cover them. Checks are single-flight per provider: concurrent callers never double-transfer.
 *
 * The provider's reading is a claim, not a bill: we pay for what we can account for — this client's own recorded spend
 * with the provider since the last settlement we observed (a reading below our count) plus `unsettledMargin` (other
 * clients of the same wallet, requests in flight). A top-up whose transaction timed out is waited for before any other
 * is sent (`TopUpPending` while it is still pending), since the chain balance does not show it yet.
 * A provider claiming more gets nothing: `ensure` fails with `UnsettledFeeDisputed` (the background loop reports it
 * as a `Disputed` event and keeps running), and `maxTopUp` caps any single transfer.
 *
 * `startAutoTopUp` runs the check now, then in a background fiber every interval and whenever local spend since the
 * last check crosses a threshold; `stop()` ends it (and closing the client ends all of them).
 */
import { Ledger, TxEngine, type TxResult } from "@0g-compute/contracts"
import {
  BelowMinimum,
  Chain,
  formatZG,
  type InvalidAddress,
  NEURON_PER_ZG,
  parseAddress,
  Wallet,
} from "@0g-compute/core"
import { Context, Data, Deferred, Effect, Fiber, Layer, Option, Redacted, Scope } from "effect"
import { RequestAuth, type SessionError } from "./auth/session.js"
import { type ReadError, readAccount } from "./chain-reads.js"
import { Directory, type LookupError } from "./directory.js"
import { providerJson } from "./http.js"
import { keyedLocks } from "./locks.js"
import { UnsettledFeeBody } from "./schemas.js"
import { UsageMeter } from "./usage.js"

export interface FundingPolicy {
  /** The provider's admission reserve. Default 1 0G (the broker's MinimumLockedBalance). */
  readonly reserve?: bigint
  /** Kept on top of reserve + unsettled fees. Default 1 0G. */
  readonly headroom?: bigint
  /** Smallest transfer. Default: headroom / 2. */
  readonly minTopUp?: bigint
  /**
   * Unsettled fees we accept beyond this client's own recorded spend with the provider (other clients of the same
   * wallet, requests in flight). Default: headroom.
   */
  readonly unsettledMargin?: bigint
  /** Largest single transfer; a larger deficit is topped up only this far. Default: no cap beyond the accounting. */
  readonly maxTopUp?: bigint
}

/** The provider claims more unsettled fees than this client can account for; nothing was transferred. */
export class UnsettledFeeDisputed extends Data.TaggedError("UnsettledFeeDisputed")<{
  readonly provider: string
  /** What the provider reported, in neuron. */
  readonly claimed: bigint
  /** Our recorded spend with it plus the margin, in neuron. */
  readonly accountable: bigint
}> {
  override get message() {
    return `Provider ${this.provider} claims ${formatZG(this.claimed)} 0G of unsettled fees, but this client can account for at most ${formatZG(this.accountable)} 0G; nothing was transferred`
  }
}

/** An earlier top-up to this provider is still pending on chain; no second one is sent until it is resolved. */
export class TopUpPending extends Data.TaggedError("TopUpPending")<{
  readonly provider: string
  /** The pending transaction: wait for it, speed it up or cancel it by this hash. */
  readonly hash: string
  /** What it transfers, in neuron. */
  readonly amount: bigint
}> {
  override get message() {
    return `A top-up of ${formatZG(this.amount)} 0G to provider ${this.provider} (transaction ${this.hash}) is still pending; no further top-up is sent until it is mined or cancelled`
  }
}

export interface FundingStatus {
  readonly provider: string
  readonly exists: boolean
  readonly balance: bigint
  readonly pendingRefund: bigint
  /** balance − pendingRefund. */
  readonly spendable: bigint
  /** The unsettled fees the target is computed from: the provider's claim, at most `accountableUnsettled`. */
  readonly unsettledFee: bigint
  /** Where `unsettledFee` came from: the provider's route, or our last reading plus local spend since. */
  readonly unsettledSource: "provider" | "estimate"
  /** What the provider reported (equal to `unsettledFee` unless it claims more than we can account for). */
  readonly claimedUnsettledFee: bigint
  /** This client's unsettled spend with the provider (since the last settlement seen) plus the margin: the most we pay for. */
  readonly accountableUnsettled: bigint
  /** claimed − accountable when positive: what `ensure` refuses to pay. */
  readonly overclaim: bigint
  /** unsettled + reserve + headroom: what a top-up restores. */
  readonly target: bigint
  /** unsettled + reserve + headroom / 2: below this a top-up is due. */
  readonly lowWater: bigint
  /** How much a top-up would transfer now (0 when none is due). */
  readonly deficit: bigint
}

export interface EnsureResult {
  readonly status: FundingStatus
  readonly transferred: bigint
  readonly tx: TxResult | undefined
}

export type FundingError =
  | InvalidAddress
  | LookupError
  | ReadError
  | SessionError
  | TransferError
  | UnsettledFeeDisputed
  | TopUpPending
  | BelowMinimum
type TransferError = Ledger["Service"]["transfer"] extends (...a: never[]) => Effect.Effect<unknown, infer E>
  ? E
  : never

export interface TopUpStats {
  readonly checks: number
  readonly topUps: number
  readonly transferred: bigint
  readonly lastStatus: FundingStatus | undefined
  readonly lastError: FundingError | undefined
}

export interface TopUpOptions extends FundingPolicy {
  /** Period of the background check. Default 30 000 ms. */
  readonly intervalMs?: number
  /** Also check once local spend with this provider grew by this much since the last check. Default headroom / 4. */
  readonly wakeAfterSpend?: bigint
  readonly onEvent?: (
    event:
      | { readonly _tag: "Checked"; readonly result: EnsureResult }
      /** The provider claimed more than we can account for; nothing was paid. */
      | { readonly _tag: "Disputed"; readonly error: UnsettledFeeDisputed }
      | { readonly _tag: "Failed"; readonly error: FundingError },
  ) => void
}

export interface TopUpHandle {
  readonly provider: string
  readonly stats: () => TopUpStats
  /** Runs one check now (serialised with the background ones). */
  readonly checkNow: Effect.Effect<EnsureResult, FundingError>
  /** Ends the background fiber. Idempotent. */
  readonly stop: Effect.Effect<void>
}

export interface FundingShape {
  readonly status: (provider: string, policy?: FundingPolicy) => Effect.Effect<FundingStatus, FundingError>
  /** Transfers the deficit, if any (creating the sub-account when missing). */
  readonly ensure: (provider: string, policy?: FundingPolicy) => Effect.Effect<EnsureResult, FundingError>
  readonly startAutoTopUp: (provider: string, options?: TopUpOptions) => Effect.Effect<TopUpHandle, FundingError>
}

export class Funding extends Context.Service<Funding, FundingShape>()("zg/inference/Funding") {
  /** Needs `Chain`, `Wallet`, `Ledger`, `TxEngine`, `Directory`, `RequestAuth`, `UsageMeter`. Background fibers end with the layer. */
  static readonly layer = Layer.effect(
    Funding,
    Effect.gen(function* () {
      return yield* makeFunding
    }),
  )
}

const ONE = NEURON_PER_ZG

/** Transfer failures after which the transaction may still be mined (each carries its hash). */
const UNRESOLVED = new Set(["TransactionTimeout", "TransactionOutcomeUnknown", "PendingIntentExists"])
/** Outcomes of waiting for an earlier top-up after which it will never move money. */
const DEFINITIVE = new Set(["TransactionReverted", "NonceConsumed", "TransactionNotFound"])

export const makeFunding = Effect.gen(function* () {
  const chain = yield* Chain
  const wallet = yield* Wallet
  const ledger = yield* Ledger
  const tx = yield* TxEngine
  const directory = yield* Directory
  const auth = yield* RequestAuth
  const usage = yield* UsageMeter
  const scope = yield* Scope.Scope
  const user = wallet.address
  /** Last provider reading of the debt and the local spend at that moment, per provider. */
  const readings = new Map<string, { unsettled: bigint; spentAt: bigint }>()
  /**
   * What we account for as unsettled with each provider (`own`), as of local spend `spentAt`: our spend, lowered to
   * the provider's reading whenever that is less (a settlement happened). The bound on a claim is own + spend since +
   * margin, so spend that was settled long ago never justifies a claim again, and a claim can never ratchet it up.
   */
  const accounted = new Map<string, { own: bigint; spentAt: bigint }>()
  /** A top-up whose transaction is still unresolved (timed out, pending); no other is sent until it is. */
  const pendingTopUps = new Map<string, { hash: string; amount: bigint }>()

  const lockOf = keyedLocks()

  const unsettledOf = (provider: string) =>
    Effect.gen(function* () {
      const key = provider.toLowerCase()
      const service = yield* directory.cached(provider)
      const cred = yield* auth.session(provider)
      const url = `${service.url}/v1/user/${user}/unsettledfee`
      const read = yield* Effect.result(
        providerJson({ provider, url, user, tokenId: cred.tokenId }, UnsettledFeeBody, "unsettled fee", {
          headers: { authorization: Redacted.value(cred.authorization) },
        }),
      )
      const spent = usage.spentWith(provider)
      if (read._tag === "Success") {
        const unsettled = BigInt(read.success.unsettledFee)
        readings.set(key, { unsettled, spentAt: spent })
        return { unsettled, source: "provider" as const }
      }
      const last = readings.get(key)
      return { unsettled: (last?.unsettled ?? 0n) + (spent - (last?.spentAt ?? 0n)), source: "estimate" as const }
    })

  const status = Effect.fn("Funding.status")(function* (provider: string, policy: FundingPolicy = {}) {
    const p = yield* parseAddress(provider)
    const reserve = policy.reserve ?? ONE
    const headroom = policy.headroom ?? ONE
    const minTopUp = policy.minTopUp ?? headroom / 2n
    const key = p.toLowerCase()
    const spentBefore = usage.spentWith(p)
    const base = accounted.get(key) ?? { own: 0n, spentAt: 0n }
    const ownBefore = base.own + (spentBefore - base.spentAt)
    const accountable = ownBefore + (policy.unsettledMargin ?? headroom)
    // A fresh service read keeps the shared cache current (prices, acknowledgement) off the request path.
    const [account, debt] = yield* Effect.all([readAccount(chain, user, p), unsettledOf(p), directory.get(p)], {
      concurrency: 3,
    })
    // A provider reading below what we account for means a settlement: from now on only spend after it counts.
    if (debt.source === "provider" && debt.unsettled < ownBefore) {
      accounted.set(key, { own: debt.unsettled, spentAt: spentBefore })
    }
    const balance = Option.isSome(account) ? account.value.balance : 0n
    const pendingRefund = Option.isSome(account) ? account.value.pendingRefund : 0n
    const spendable = balance - pendingRefund
    const unsettled = debt.unsettled < accountable ? debt.unsettled : accountable
    const target = unsettled + reserve + headroom
    const lowWater = unsettled + reserve + headroom / 2n
    const due = !Option.isSome(account) || spendable < lowWater
    const gap = target - spendable
    const deficit = due ? (gap > minTopUp ? gap : minTopUp) : 0n
    return {
      provider: p,
      exists: Option.isSome(account),
      balance,
      pendingRefund,
      spendable,
      unsettledFee: unsettled,
      unsettledSource: debt.source,
      claimedUnsettledFee: debt.unsettled,
      accountableUnsettled: accountable,
      overclaim: debt.unsettled > accountable ? debt.unsettled - accountable : 0n,
      target,
      lowWater,
      deficit,
    } satisfies FundingStatus
  })

  const ensure = Effect.fn("Funding.ensure")(function* (provider: string, policy: FundingPolicy = {}) {
    const p = yield* parseAddress(provider)
    return yield* lockOf(p.toLowerCase()).withPermit(
      Effect.gen(function* () {
        const key = p.toLowerCase()
        const earlier = pendingTopUps.get(key)
        let resolved: { tx: TxResult; amount: bigint } | undefined
        if (earlier !== undefined) {
          // Settle the earlier top-up first: the balance read on chain does not include it while it is pending.
          const waited = yield* Effect.result(tx.wait(earlier.hash))
          if (waited._tag === "Success") {
            pendingTopUps.delete(key)
            resolved = { tx: waited.success, amount: earlier.amount }
          } else if (DEFINITIVE.has(waited.failure._tag)) {
            pendingTopUps.delete(key) // reverted or never mined: nothing moved
          } else {
            return yield* new TopUpPending({ provider: p, hash: earlier.hash, amount: earlier.amount })
          }
        }
        const s = yield* status(p, policy)
        if (resolved !== undefined && s.deficit === 0n)
          return { status: s, transferred: resolved.amount, tx: resolved.tx } satisfies EnsureResult
        if (s.overclaim > 0n) {
          return yield* new UnsettledFeeDisputed({
            provider: p,
            claimed: s.claimedUnsettledFee,
            accountable: s.accountableUnsettled,
          })
        }
        if (s.deficit === 0n) return { status: s, transferred: 0n, tx: undefined } satisfies EnsureResult
        const max = policy.maxTopUp
        let amount = max !== undefined && s.deficit > max ? max : s.deficit
        if (!s.exists) {
          const { minTransferAmount } = yield* ledger.limits
          if (max !== undefined && max < minTransferAmount) {
            return yield* new BelowMinimum({ what: "maxTopUp", amount: max, minimum: minTransferAmount })
          }
          if (amount < minTransferAmount) amount = minTransferAmount
        }
        const sent = yield* ledger.transfer(p, "inference", amount).pipe(
          Effect.tapError((e) =>
            Effect.sync(() => {
              // Sent but not known to be mined: remember it, so the next check waits for it instead of paying again.
              const hash = (e as { hash?: unknown }).hash
              if (UNRESOLVED.has(e._tag) && typeof hash === "string") pendingTopUps.set(key, { hash, amount })
            }),
          ),
        )
        return {
          status: s,
          transferred: amount + (resolved?.amount ?? 0n),
          tx: sent,
        } satisfies EnsureResult
      }),
    )
  })

  const startAutoTopUp = Effect.fn("Funding.startAutoTopUp")(function* (provider: string, options: TopUpOptions = {}) {
    const p = yield* parseAddress(provider)
    const interval = Math.max(10, options.intervalMs ?? 30_000)
    const wakeAfter = options.wakeAfterSpend ?? (options.headroom ?? ONE) / 4n
    let stats: TopUpStats = { checks: 0, topUps: 0, transferred: 0n, lastStatus: undefined, lastError: undefined }
    let spentAtCheck = usage.spentWith(p)
    let wake = Deferred.makeUnsafe<void>()

    const check = ensure(p, options).pipe(
      Effect.tap((result) =>
        Effect.sync(() => {
          spentAtCheck = usage.spentWith(p)
          stats = {
            checks: stats.checks + 1,
            topUps: stats.topUps + (result.tx === undefined ? 0 : 1),
            transferred: stats.transferred + result.transferred,
            lastStatus: result.status,
            lastError: undefined,
          }
          options.onEvent?.({ _tag: "Checked", result })
        }),
      ),
      Effect.tapError((error) =>
        Effect.sync(() => {
          stats = { ...stats, checks: stats.checks + 1, lastError: error }
          options.onEvent?.(
            error._tag === "UnsettledFeeDisputed" ? { _tag: "Disputed", error } : { _tag: "Failed", error },
          )
        }),
      ),
    )

    yield* check
    const unsubscribe = usage.subscribe((r) => {
      if (r.provider.toLowerCase() === p.toLowerCase() && usage.spentWith(p) - spentAtCheck >= wakeAfter) {
        Deferred.doneUnsafe(wake, Effect.void)
      }
    })
    const loop = Effect.forever(
      Effect.gen(function* () {
        wake = Deferred.makeUnsafe<void>()
        yield* Effect.raceFirst(Effect.sleep(interval), Deferred.await(wake))
        yield* Effect.ignore(check)
      }),
    ).pipe(Effect.ensuring(Effect.sync(unsubscribe)))
    const fiber = yield* Effect.forkIn(loop, scope)
    return {
      provider: p,
      stats: () => stats,
      checkNow: check,
      stop: Fiber.interrupt(fiber),
    } satisfies TopUpHandle
  })

  return Funding.of({ status, ensure, startAutoTopUp })
})
