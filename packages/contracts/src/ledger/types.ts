/** Plain data returned by the `Ledger` service. Amounts are bigint neuron, times are chain seconds. */
import { Effect } from "effect"
import { InvalidServiceType } from "../errors.js"

export const SERVICE_TYPES = ["inference", "fine-tuning"] as const
export type ServiceType = (typeof SERVICE_TYPES)[number]

export const parseServiceType = (input: string): Effect.Effect<ServiceType, InvalidServiceType> =>
  (SERVICE_TYPES as ReadonlyArray<string>).includes(input)
    ? Effect.succeed(input as ServiceType)
    : Effect.fail(new InvalidServiceType({ input }))

export interface LedgerInfo {
  readonly user: string
  /** Everything the user owns in the system: available + sub-account balances. */
  readonly total: bigint
  /** Held by LedgerManager; what refund and new transfers draw on. */
  readonly available: bigint
  /** total − available: funds sitting in sub-accounts (including pending refunds). */
  readonly locked: bigint
  readonly additionalInfo: string
}

export interface RefundInfo {
  readonly amount: bigint
  readonly createdAt: bigint
  /** createdAt + the serving contract's current lockTime. */
  readonly unlocksAt: bigint
  /** 0 once `retrieve` would collect it. */
  readonly remainingLockSeconds: bigint
}

export interface SubAccount {
  readonly provider: string
  readonly serviceType: ServiceType
  /** Registry name such as "inference-v1.0". */
  readonly serviceName: string
  readonly serviceAddress: string
  /** Includes `pendingRefund`. */
  readonly balance: bigint
  readonly pendingRefund: bigint
  /** balance − pendingRefund: what the provider can charge before touching refunds. */
  readonly spendable: bigint
  readonly refunds: ReadonlyArray<RefundInfo>
  readonly acknowledged: boolean
  readonly nonce: bigint
}

/** On-chain limits of the LedgerManager (read once per process). */
export interface LedgerLimits {
  readonly minAccountBalance: bigint
  readonly minTransferAmount: bigint
  readonly maxProvidersPerBatch: number
  readonly maxAdditionalInfoLength: number
}

/** A serving contract as registered in the ledger. */
export interface ResolvedService {
  readonly serviceType: ServiceType
  readonly name: string
  readonly address: string
}
