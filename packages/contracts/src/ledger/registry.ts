/**
 * Reads from the LedgerManager registry that every ledger operation needs: the service names (never hardcoded — they
 * change with every serving-contract version) and the MIN_* limits (which differ between networks).
 * Both are cached per process, keyed by chain and contract addresses; failures are not cached.
 */
import { type ChainShape, decodeChainStruct, type MalformedData, RpcError, ServiceInfo } from "@0g-compute/core"
import { Effect } from "effect"
import { type ContractName, ledgerManager } from "../clients.js"
import { type ContractRevert, ServiceNotRegistered } from "../errors.js"
import { isRevert, revertFromError } from "../revert.js"
import type { LedgerLimits, ResolvedService, ServiceType } from "./types.js"

/** A contract read whose revert is decoded. */
export const readCall = <A>(contract: ContractName, method: string, f: () => Promise<A>) =>
  Effect.tryPromise({
    try: f,
    catch: (cause): ContractRevert | RpcError => revertFromError(cause, contract) ?? new RpcError({ method, cause }),
  })

const serviceCache = new Map<string, ResolvedService>()
const limitsCache = new Map<string, LedgerLimits>()

const cached = <A, E>(cache: Map<string, A>, key: string, load: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    const hit = cache.get(key)
    return hit !== undefined ? Effect.succeed(hit) : Effect.tap(load, (a) => Effect.sync(() => cache.set(key, a)))
  })

const configuredAddress = (chain: ChainShape, type: ServiceType) =>
  type === "inference" ? chain.contracts.inference : chain.contracts.fineTuning

/**
 * The registered service for a type: the configured serving contract if the ledger knows it, else the ledger's
 * recommended one for that type.
 */
export const resolveService = (
  chain: ChainShape,
  type: ServiceType,
): Effect.Effect<ResolvedService, ServiceNotRegistered | ContractRevert | RpcError | MalformedData> => {
  const lm = ledgerManager(chain.contracts.ledger, chain.provider)
  const address = configuredAddress(chain, type)
  const infoOf = (addr: string) =>
    readCall("LedgerManager", "getServiceInfo", () => lm.getServiceInfo(addr)).pipe(
      Effect.flatMap(decodeChainStruct(ServiceInfo, "LedgerManager.getServiceInfo")),
    )
  const load = Effect.gen(function* () {
    const info = yield* infoOf(address)
    if (info.fullName !== "") return { serviceType: type, name: info.fullName, address }
    const rec = yield* readCall("LedgerManager", "getRecommendedService", () => lm.getRecommendedService(type)).pipe(
      Effect.catchIf(
        (e) => isRevert(e, "NoRecommendedService"),
        () => Effect.fail(new ServiceNotRegistered({ serviceType: type, address })),
      ),
    )
    const recInfo = yield* infoOf(rec.serviceAddress)
    if (recInfo.fullName === "") return yield* new ServiceNotRegistered({ serviceType: type, address })
    return { serviceType: type, name: recInfo.fullName, address: recInfo.serviceAddress }
  })
  return cached(serviceCache, `${chain.chainId}:${chain.contracts.ledger}:${address}:${type}`.toLowerCase(), load)
}

/** MIN_ACCOUNT_BALANCE, MIN_TRANSFER_AMOUNT and the batch / info limits, read on chain. */
export const readLimits = (chain: ChainShape): Effect.Effect<LedgerLimits, ContractRevert | RpcError> => {
  const lm = ledgerManager(chain.contracts.ledger, chain.provider)
  const load = Effect.all(
    {
      minAccountBalance: readCall("LedgerManager", "MIN_ACCOUNT_BALANCE", () => lm.MIN_ACCOUNT_BALANCE()),
      minTransferAmount: readCall("LedgerManager", "MIN_TRANSFER_AMOUNT", () => lm.MIN_TRANSFER_AMOUNT()),
      maxProvidersPerBatch: readCall("LedgerManager", "MAX_PROVIDERS_PER_BATCH", () => lm.MAX_PROVIDERS_PER_BATCH()),
      maxAdditionalInfoLength: readCall("LedgerManager", "MAX_ADDITIONAL_INFO_LENGTH", () =>
        lm.MAX_ADDITIONAL_INFO_LENGTH(),
      ),
    },
    { concurrency: "unbounded" },
  ).pipe(
    Effect.map((l) => ({
      minAccountBalance: l.minAccountBalance,
      minTransferAmount: l.minTransferAmount,
      maxProvidersPerBatch: Number(l.maxProvidersPerBatch),
      maxAdditionalInfoLength: Number(l.maxAdditionalInfoLength),
    })),
  )
  return cached(limitsCache, `${chain.chainId}:${chain.contracts.ledger}`.toLowerCase(), load)
}
