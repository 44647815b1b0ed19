/**
 * Sub-account listing: the providers a user funded (from the ledger's provider set) joined with each serving
 * contract's account, and refund lock times computed against the latest block.
 */
import {
  type ChainShape,
  decodeChainStruct,
  FineTuningAccountDetails,
  InferenceAccount,
  type MalformedData,
  RpcError,
} from "@0g-compute/core"
import { Effect, Option } from "effect"
import { fineTuningServing, inferenceServing, ledgerManager } from "../clients.js"
import type { ContractRevert } from "../errors.js"
import { isRevert } from "../revert.js"
import { readCall } from "./registry.js"
import type { RefundInfo, ResolvedService, SubAccount } from "./types.js"

type ReadError = ContractRevert | RpcError | MalformedData

interface RawAccount {
  readonly nonce: bigint
  readonly balance: bigint
  readonly pendingRefund: bigint
  readonly acknowledged: boolean
  readonly validRefundsLength: bigint
  readonly refunds: ReadonlyArray<{ readonly amount: bigint; readonly createdAt: bigint }>
}

/** Reads one sub-account, or None when it does not exist. */
const readAccount = (
  chain: ChainShape,
  service: ResolvedService,
  user: string,
  provider: string,
): Effect.Effect<Option.Option<RawAccount>, ReadError> => {
  const missing = (e: ReadError) => isRevert(e, "AccountNotExists")
  const read: Effect.Effect<RawAccount, ReadError> =
    service.serviceType === "inference"
      ? readCall("InferenceServing", "getAccount", () =>
          inferenceServing(service.address, chain.provider).getAccount(user, provider),
        ).pipe(Effect.flatMap(decodeChainStruct(InferenceAccount, "InferenceServing.getAccount")))
      : readCall("FineTuningServing", "getAccount", () =>
          fineTuningServing(service.address, chain.provider).getAccount(user, provider),
        ).pipe(Effect.flatMap(decodeChainStruct(FineTuningAccountDetails, "FineTuningServing.getAccount")))
  return read.pipe(
    Effect.map((a): Option.Option<RawAccount> => Option.some(a)),
    Effect.catchIf(missing, () => Effect.succeed(Option.none<RawAccount>())),
  )
}

/** The serving contract's current lockTime (it applies retroactively to existing refunds). */
export const readLockTime = (chain: ChainShape, service: ResolvedService) =>
  service.serviceType === "inference"
    ? readCall("InferenceServing", "lockTime", () => inferenceServing(service.address, chain.provider).lockTime())
    : readCall("FineTuningServing", "lockTime", () => fineTuningServing(service.address, chain.provider).lockTime())

/** Timestamp of the latest block: lock expiry is judged by the chain's clock, not ours. */
export const latestBlockTime = (chain: ChainShape) =>
  Effect.tryPromise({
    try: async () => {
      const block = await chain.provider.getBlock("latest")
      if (!block) throw new Error("no latest block")
      return BigInt(block.timestamp)
    },
    catch: (cause) => new RpcError({ method: "eth_getBlockByNumber", cause }),
  })

/** Providers the user has (or had, until the ledger is deleted) sub-accounts with in this service. */
export const ledgerProviders = (chain: ChainShape, service: ResolvedService, user: string) =>
  readCall("LedgerManager", "getLedgerProviders", () =>
    ledgerManager(chain.contracts.ledger, chain.provider).getLedgerProviders(user, service.name),
  ).pipe(Effect.map((list) => Array.from(list, String)))

/** Live refunds only: slots beyond validRefundsLength are stale and zero amounts are spent. */
export const liveRefunds = (account: RawAccount, lockTime: bigint, now: bigint): ReadonlyArray<RefundInfo> =>
  account.refunds
    .slice(0, Number(account.validRefundsLength))
    .filter((r) => r.amount > 0n)
    .map((r) => {
      const unlocksAt = r.createdAt + lockTime
      return {
        amount: r.amount,
        createdAt: r.createdAt,
        unlocksAt,
        remainingLockSeconds: unlocksAt > now ? unlocksAt - now : 0n,
      }
    })

/** Every sub-account of `user` in one service. */
export const listServiceSubAccounts = (
  chain: ChainShape,
  service: ResolvedService,
  user: string,
): Effect.Effect<ReadonlyArray<SubAccount>, ReadError> =>
  Effect.gen(function* () {
    const providers = yield* ledgerProviders(chain, service, user)
    if (providers.length === 0) return []
    const [lockTime, now] = yield* Effect.all([readLockTime(chain, service), latestBlockTime(chain)], {
      concurrency: 2,
    })
    const accounts = yield* Effect.forEach(providers, (p) => readAccount(chain, service, user, p), {
      concurrency: 8,
    })
    return providers.flatMap((provider, i): SubAccount[] => {
      const found = accounts[i]
      if (found === undefined || Option.isNone(found)) return []
      const a = found.value
      return [
        {
          provider,
          serviceType: service.serviceType,
          serviceName: service.name,
          serviceAddress: service.address,
          balance: a.balance,
          pendingRefund: a.pendingRefund,
          spendable: a.balance - a.pendingRefund,
          refunds: liveRefunds(a, lockTime, now),
          acknowledged: a.acknowledged,
          nonce: a.nonce,
        },
      ]
    })
  })

/** Whether a sub-account exists, and its pending refund if it does (what a transfer would cancel first). */
export const subAccountState = (chain: ChainShape, service: ResolvedService, user: string, provider: string) =>
  Effect.gen(function* () {
    const serving =
      service.serviceType === "inference"
        ? inferenceServing(service.address, chain.provider)
        : fineTuningServing(service.address, chain.provider)
    const name = service.serviceType === "inference" ? "InferenceServing" : "FineTuningServing"
    const exists = yield* readCall(name, "accountExists", () => serving.accountExists(user, provider))
    if (!exists) return { exists: false, pendingRefund: 0n } as const
    const pendingRefund = yield* readCall(name, "getPendingRefund", () => serving.getPendingRefund(user, provider))
    return { exists: true, pendingRefund } as const
  })
