/**
 * The `Ledger` service: the user's LedgerManager account and its per-provider sub-accounts.
 *
 * Every write runs its preflight checks (preflight.ts) against on-chain state and limits first, so a mistake fails
 * with a typed error before anything is signed; whatever still reverts is decoded by the transaction engine.
 */

import type { BelowMinimum } from "@0g-compute/core"
import {
  Chain,
  type ChainShape,
  decodeChainStruct,
  type InsufficientBalance,
  type InvalidAddress,
  type InvalidAmount,
  Ledger as LedgerStruct,
  type MalformedData,
  parseAddress,
  type RpcError,
  SignerRequired,
  Wallet,
} from "@0g-compute/core"
import { Context, Effect, Layer, Option } from "effect"
import { ledgerManager } from "../clients.js"
import {
  type AdditionalInfoTooLong,
  type ContractRevert,
  type InvalidAdditionalInfo,
  type InvalidServiceType,
  type LedgerAlreadyExists,
  type LedgerNotEmpty,
  LedgerNotFound,
  type ProviderIsSelf,
  type RefundWouldStrand,
  type ServiceNotRegistered,
} from "../errors.js"
import { isRevert } from "../revert.js"
import { TxEngine, type TxEngineShape, type TxError, type TxResult } from "../tx/engine.js"
import { readCall, readLimits, resolveService } from "./registry.js"
import { listServiceSubAccounts } from "./subaccounts.js"
import {
  type LedgerInfo,
  type LedgerLimits,
  parseServiceType,
  type ResolvedService,
  SERVICE_TYPES,
  type SubAccount,
} from "./types.js"
import { makeWrites } from "./writes.js"

type ReadError = ContractRevert | RpcError | MalformedData
/** Also the two ledger-existence errors: a concurrent writer can change the state between preflight and mining. */
type WriteError = TxError | SignerRequired | ReadError | LedgerNotFound | LedgerAlreadyExists

export interface LedgerShape {
  /** The wallet address writes act for; undefined for a read-only ledger. */
  readonly address: string | undefined
  /** The ledger of `address` (default: the wallet). */
  readonly get: (
    address?: string,
  ) => Effect.Effect<LedgerInfo, LedgerNotFound | InvalidAddress | SignerRequired | ReadError>
  /** On-chain MIN_* and batch limits. */
  readonly limits: Effect.Effect<LedgerLimits, ContractRevert | RpcError>
  /** The registry entry (name such as "inference-v1.0", contract address) for a service type. */
  readonly service: (
    serviceType: string,
  ) => Effect.Effect<ResolvedService, InvalidServiceType | ServiceNotRegistered | ReadError>
  /** Creates the ledger with `amount` neuron. */
  readonly add: (
    amount: bigint,
    additionalInfo?: string,
  ) => Effect.Effect<
    TxResult,
    InvalidAmount | AdditionalInfoTooLong | InvalidAdditionalInfo | LedgerAlreadyExists | BelowMinimum | WriteError
  >
  /** Adds `amount` to the wallet's ledger (creating it when missing, which needs the minimum). */
  readonly deposit: (amount: bigint) => Effect.Effect<TxResult, InvalidAmount | BelowMinimum | WriteError>
  /** Adds `amount` to another address's ledger. */
  readonly depositFor: (
    recipient: string,
    amount: bigint,
  ) => Effect.Effect<TxResult, InvalidAmount | InvalidAddress | BelowMinimum | WriteError>
  /** Withdraws `amount` of the available balance to the wallet; withdrawing everything deletes the ledger. */
  readonly refund: (
    amount: bigint,
  ) => Effect.Effect<TxResult, InvalidAmount | LedgerNotFound | InsufficientBalance | RefundWouldStrand | WriteError>
  /** Moves `amount` from the ledger into the sub-account with `provider` (cancelling pending refunds first). */
  readonly transfer: (
    provider: string,
    serviceType: string,
    amount: bigint,
  ) => Effect.Effect<
    TxResult,
    | InvalidAmount
    | InvalidAddress
    | InvalidServiceType
    | ServiceNotRegistered
    | LedgerNotFound
    | ProviderIsSelf
    | BelowMinimum
    | InsufficientBalance
    | WriteError
  >
  /**
   * Starts the refund lock on sub-accounts and collects refunds whose lock expired (all providers of the service when
   * `providers` is omitted), in batches of MAX_PROVIDERS_PER_BATCH. One transaction per batch; none when empty.
   */
  readonly retrieve: (
    serviceType: string,
    providers?: ReadonlyArray<string>,
  ) => Effect.Effect<
    ReadonlyArray<TxResult>,
    InvalidAddress | InvalidServiceType | ServiceNotRegistered | LedgerNotFound | WriteError
  >
  /** Sub-accounts of `address` (default: the wallet) in one or both services. */
  readonly listSubAccounts: (
    serviceType?: string,
    address?: string,
  ) => Effect.Effect<
    ReadonlyArray<SubAccount>,
    InvalidServiceType | ServiceNotRegistered | InvalidAddress | SignerRequired | ReadError
  >
  /** Deletes an empty ledger (total 0). */
  readonly delete: () => Effect.Effect<TxResult, LedgerNotFound | LedgerNotEmpty | WriteError>
}

export class Ledger extends Context.Service<Ledger, LedgerShape>()("zg/contracts/Ledger") {
  /** Reads and writes; needs `Chain`, `Wallet` and `TxEngine`. */
  static readonly layer = Layer.effect(
    Ledger,
    Effect.gen(function* () {
      const chain = yield* Chain
      const wallet = yield* Wallet
      const tx = yield* TxEngine
      return makeLedger(chain, Option.some({ address: wallet.address, tx }))
    }),
  )
  /** Reads only; writes fail with `SignerRequired`. Needs `Chain`. */
  static readonly layerReadOnly = Layer.effect(
    Ledger,
    Effect.map(Chain, (chain) => makeLedger(chain, Option.none())),
  )
}

export interface Writer {
  readonly address: string
  readonly tx: TxEngineShape
}

export const makeLedger = (chain: ChainShape, writer: Option.Option<Writer>): LedgerShape => {
  const lm = ledgerManager(chain.contracts.ledger, chain.provider)
  const limits = readLimits(chain)

  const service = Effect.fn("Ledger.service")(function* (serviceType: string) {
    return yield* resolveService(chain, yield* parseServiceType(serviceType))
  })

  const userOf = (address: string | undefined, operation: string) =>
    address !== undefined
      ? parseAddress(address)
      : Option.match(writer, {
          onNone: () => Effect.fail(new SignerRequired({ operation })),
          onSome: (w) => Effect.succeed(w.address),
        })

  /** The ledger of `user`, or None when it does not exist. */
  const ledgerOf = (user: string): Effect.Effect<Option.Option<LedgerInfo>, ReadError> =>
    readCall("LedgerManager", "getLedger", () => lm.getLedger(user)).pipe(
      Effect.flatMap(decodeChainStruct(LedgerStruct, "LedgerManager.getLedger")),
      Effect.map((l) =>
        Option.some({
          user: l.user,
          total: l.totalBalance,
          available: l.availableBalance,
          locked: l.totalBalance - l.availableBalance,
          additionalInfo: l.additionalInfo,
        }),
      ),
      Effect.catchIf(
        (e) => isRevert(e, "LedgerNotExists"),
        () => Effect.succeed(Option.none<LedgerInfo>()),
      ),
    )

  const get = Effect.fn("Ledger.get")(function* (address?: string) {
    const user = yield* userOf(address, "ledger.get() without an address")
    const ledger = yield* ledgerOf(user)
    if (Option.isNone(ledger)) return yield* new LedgerNotFound({ user })
    return ledger.value
  })

  const listSubAccounts = Effect.fn("Ledger.listSubAccounts")(function* (serviceType?: string, address?: string) {
    const types = serviceType === undefined ? SERVICE_TYPES : [yield* parseServiceType(serviceType)]
    const user = yield* userOf(address, "ledger list sub-accounts")
    const lists = yield* Effect.forEach(types, (t) =>
      Effect.flatMap(resolveService(chain, t), (s) => listServiceSubAccounts(chain, s, user)),
    )
    return lists.flat()
  })

  const writes = makeWrites({ chain, writer, limits, service, ledgerOf })
  const address = Option.getOrUndefined(Option.map(writer, (w) => w.address))
  return { address, get, limits, service, listSubAccounts, ...writes } satisfies LedgerShape
}
