/**
 * Typed errors of the contracts package: decoded reverts, transaction outcomes and the Ledger preflight checks.
 * Each carries the fields a program needs and a one-line message for humans (the CLI prints `message`).
 */
import { formatZG } from "@0g-compute/core"
import { Data } from "effect"
import type { ContractName } from "./clients.js"
import { describeRevert } from "./revert-messages.js"

/**
 * A contract call reverted, decoded against the three ABIs. `error` is the custom error name (`"LedgerNotExists"`),
 * `"Error"` for a string revert (`args.reason`), `"Panic"` (`args.code`), `"EmptyRevert"` for a bare revert, or
 * `"UnknownError"` for a selector in none of our ABIs. `contract` is the ABI that declares the error.
 */
export class ContractRevert extends Data.TaggedError("ContractRevert")<{
  readonly contract: ContractName | undefined
  readonly error: string
  readonly args: Readonly<Record<string, unknown>>
  readonly selector: string
  readonly data: string
}> {
  override get message() {
    return describeRevert(this.error, this.args)
  }
}

/** A mined transaction with status 0. `revert` is the replayed reason when the node could tell. */
export class TransactionReverted extends Data.TaggedError("TransactionReverted")<{
  readonly hash: string
  readonly blockNumber: number
  readonly gasUsed: bigint
  readonly fee: bigint
  readonly revert: ContractRevert | undefined
}> {
  override get message() {
    const why = this.revert ? `: ${this.revert.message}` : ""
    return `Transaction ${this.hash} reverted in block ${this.blockNumber}${why}`
  }
}

/** No receipt within the timeout. The transaction may still be mined later: check `hash` before resending. */
export class TransactionTimeout extends Data.TaggedError("TransactionTimeout")<{
  readonly hash: string
  readonly timeoutMs: number
}> {
  override get message() {
    const wait = this.timeoutMs >= 10_000 ? `${Math.round(this.timeoutMs / 1000)} s` : `${this.timeoutMs} ms`
    return `Transaction ${this.hash} was not mined within ${wait}; it may still be pending`
  }
}

/** The address has no ledger in LedgerManager. */
export class LedgerNotFound extends Data.TaggedError("LedgerNotFound")<{ readonly user: string }> {
  override get message() {
    return `No ledger exists for ${this.user}; create one with \`ledger.add(amount)\``
  }
}

/** `add` on an address that already has a ledger. */
export class LedgerAlreadyExists extends Data.TaggedError("LedgerAlreadyExists")<{ readonly user: string }> {
  override get message() {
    return `A ledger already exists for ${this.user}; add funds with \`ledger.deposit(amount)\``
  }
}

/** A refund would leave a positive available balance below MIN_ACCOUNT_BALANCE (the contract demands ≥ min or 0). */
export class RefundWouldStrand extends Data.TaggedError("RefundWouldStrand")<{
  readonly amount: bigint
  readonly remaining: bigint
  readonly minimum: bigint
}> {
  override get message() {
    return `Refunding ${formatZG(this.amount)} 0G would leave ${formatZG(this.remaining)} 0G, below the ledger minimum of ${formatZG(this.minimum)} 0G; refund everything or keep at least the minimum`
  }
}

/** A transfer to the user's own address as provider (the contract would only say `CallFailed`). */
export class ProviderIsSelf extends Data.TaggedError("ProviderIsSelf")<{ readonly provider: string }> {
  override get message() {
    return `The provider ${this.provider} is your own address; a sub-account needs a different provider`
  }
}

/** `delete` while the ledger still holds funds. */
export class LedgerNotEmpty extends Data.TaggedError("LedgerNotEmpty")<{
  readonly total: bigint
  readonly available: bigint
}> {
  override get message() {
    return `The ledger still holds ${formatZG(this.total)} 0G; retrieve sub-account funds and refund everything first (refunding all deletes the ledger)`
  }
}

/** A service type other than "inference" or "fine-tuning". */
export class InvalidServiceType extends Data.TaggedError("InvalidServiceType")<{ readonly input: string }> {
  override get message() {
    return `Unknown service type ${JSON.stringify(this.input)}: use "inference" or "fine-tuning"`
  }
}

/** Neither the configured serving contract nor a recommended one is registered in the ledger. */
export class ServiceNotRegistered extends Data.TaggedError("ServiceNotRegistered")<{
  readonly serviceType: string
  readonly address: string
}> {
  override get message() {
    return `No ${this.serviceType} service is registered in the ledger (configured contract ${this.address})`
  }
}

/** Ledger `additionalInfo` longer than the contract accepts (bytes of UTF-8). */
export class AdditionalInfoTooLong extends Data.TaggedError("AdditionalInfoTooLong")<{
  readonly length: number
  readonly max: number
}> {
  override get message() {
    return `Additional info is ${this.length} bytes; the maximum is ${this.max}`
  }
}

/** Ledger `additionalInfo` that is no text (plain JavaScript passed a number or an object). */
export class InvalidAdditionalInfo extends Data.TaggedError("InvalidAdditionalInfo")<{ readonly input: string }> {
  override get message() {
    return `Additional info must be text, got ${this.input}`
  }
}

/** A facade was given no way to reach a chain. */
/** Moved to core (shared by every facade); re-exported for compatibility. */
export { ConnectionRequired } from "@0g-compute/core"
