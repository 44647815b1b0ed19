/**
 * One line per revert a user can meet, written for the person at the keyboard. The table is typed against the
 * generated error maps, so a new custom error in an ABI is a compile error here until it gets a message.
 */
import { formatZG } from "@0g-compute/core"
import type {
  FineTuningServingErrorArgs,
  InferenceServingErrorArgs,
  LedgerManagerErrorArgs,
} from "./generated/index.js"

type AllErrorArgs = LedgerManagerErrorArgs | InferenceServingErrorArgs | FineTuningServingErrorArgs
/** Every custom error name of the three ABIs. */
export type CustomErrorName =
  | keyof LedgerManagerErrorArgs
  | keyof InferenceServingErrorArgs
  | keyof FineTuningServingErrorArgs
type AllErrorName = CustomErrorName
/** The arguments of `K` in whichever ABIs declare it (some names differ in arity between contracts). */
export type CustomErrorArgs<K extends CustomErrorName> = AllErrorArgs extends infer U
  ? U extends Record<K, infer A>
    ? A
    : never
  : never

const zg = (v: unknown) => (typeof v === "bigint" ? `${formatZG(v)} 0G` : String(v))
const num = (v: unknown) => String(v)
const q = (v: unknown) => JSON.stringify(String(v))

export const CUSTOM_ERROR_MESSAGES: { readonly [K in AllErrorName]: (args: CustomErrorArgs<K>) => string } = {
  // LedgerManager
  AdditionalInfoTooLong: (a) =>
    "length" in a
      ? `The additional info is ${num(a.length)} bytes; the maximum is ${num(a.max)}`
      : "The service's additional info is longer than 4096 bytes",
  AlreadyInitialized: () => "The contract is already initialized",
  CallFailed: () =>
    "The serving contract rejected the transfer (for example the provider is your own address); nothing was moved",
  CallerNotRegisteredService: (a) => `Only a registered serving contract may do this (caller ${a.caller})`,
  DirectDepositsDisabled: () => "This contract does not accept plain transfers; use `ledger.deposit(amount)`",
  InsufficientAvailableBalance: (a) =>
    `Not enough available ledger balance: need ${zg(a.required)}, have ${zg(a.available)}; deposit more or retrieve sub-account funds`,
  InsufficientBalance: (a) => `The ledger of ${a.user} has too little available balance for this refund`,
  InvalidServiceAddress: (a) => `Invalid service address ${a.serviceAddress}`,
  InvalidServiceType: (a) => `Unknown service type ${q(a.serviceType)}`,
  LedgerExists: (a) => `A ledger already exists for ${a.user}; add funds with \`ledger.deposit(amount)\``,
  LedgerLocked: () => "The ledger is busy with another operation of the same user; retry",
  LedgerNotExists: (a) => `No ledger exists for ${a.user}; create one with \`ledger.add(amount)\``,
  MinimumDepositRequired: (a) => `${zg(a.provided)} is below the on-chain minimum of ${zg(a.required)}`,
  MustWithdrawAllFundsFirst: (a) =>
    `The ledger still holds ${zg(a.remainingBalance)}; retrieve and refund everything before deleting it`,
  NoRecommendedService: (a) => `No recommended ${q(a.serviceType)} service is registered`,
  ServiceAlreadyRegistered: (a) => `Service ${a.serviceAddress} is already registered`,
  ServiceMustImplementIServing: (a) => `${a.serviceAddress} does not implement the IServing interface`,
  ServiceNameExists: (a) => `A service named ${q(a.serviceName)} is already registered`,
  ServiceNotFound: () => "No service with that name is registered in the ledger",
  ServiceNotRegistered: (a) => `Service ${a.serviceAddress} is not registered in the ledger`,
  ServiceRegistryLimitReached: (a) => `The service registry is full (${num(a.limit)} services)`,
  ServiceTypeRequired: () => "A service type is required",
  TooManyProviders: (a) => `Too many providers in one call (${num(a.requested)}; the maximum is ${num(a.maximum)})`,
  TooManyProvidersForService: (a) =>
    `You already have sub-accounts with ${num(a.current)} providers of this service (the maximum is ${num(a.maximum)})`,
  TransferFailed: () => "The native-token transfer failed",
  VersionRequired: () => "A service version is required",
  ZeroAddressNotAllowed: () => "The zero address is not allowed here",
  ZeroAmountNotAllowed: () => "The amount must be greater than zero",
  // Serving contracts
  AccountExists: (a) => `A sub-account of ${a.user} with provider ${a.provider} already exists`,
  AccountNotExists: (a) =>
    `No sub-account of ${a.user} with provider ${a.provider}; fund one with \`ledger.transfer(provider, service, amount)\``,
  BatchSizeTooLarge: (a) => `Batch of ${num(a.size)} is too large (maximum ${num("max" in a ? a.max : a.maxSize)})`,
  CallerNotLedger: () => "Only the LedgerManager may call this",
  CannotAddStakeWhenUpdating: () => "A service update must not send a stake",
  CannotRevokeWithNonZeroBalance: (a) =>
    `Cannot revoke the TEE signer acknowledgement while the sub-account with ${a.provider} holds ${zg(a.balance)}`,
  InsufficientStake: (a) => `A stake of ${zg(a.provided)} is below the required ${zg(a.required)}`,
  InvalidAddress: (a) => `Invalid address ${a.addr}`,
  InvalidTEESignature: (a) => `Invalid TEE signature: ${a.reason}`,
  LimitTooLarge: (a) => `Page size ${num(a.limit)} is too large (maximum ${"max" in a ? num(a.max) : "50"})`,
  LockTimeOutOfRange: (a) =>
    "min" in a
      ? `Lock time ${num(a.lockTime)} s is outside [${num(a.min)}, ${num(a.max)}] s`
      : `Lock time ${num(a.lockTime)} s is out of range`,
  NoSettlementsProvided: () => "No settlements were provided",
  ProviderCannotBeUser: () => "The provider cannot be your own address",
  ServiceNotExist: (a) => `Provider ${a.provider} has no registered service`,
  TooManyRefunds: (a) =>
    `The sub-account with provider ${a.provider} already has 5 pending refunds; retrieve again after their lock expires`,
  TooManySettlements: (a) => `Too many settlements in one call (${num(a.count)}; the maximum is ${num(a.max)})`,
  CannotAbandonSettledDeliverable: (a) => `Deliverable ${q(a.id)} is settled and cannot be abandoned`,
  CannotAcknowledgeSettledDeliverable: (a) => `Deliverable ${q(a.id)} is already settled`,
  CannotEvictUnsettledDeliverable: (a) =>
    `The oldest deliverable ${q(a.id)} is not settled yet, so no new deliverable fits`,
  DeliverableAlreadyExists: (a) => `Deliverable ${q(a.id)} already exists`,
  DeliverableAlreadySettled: (a) => `Deliverable ${q(a.id)} is already settled`,
  DeliverableIdInvalidLength: (a) => `Deliverable id length ${num(a.length)} is outside 1..256 bytes`,
  DeliverableNotExists: (a) => `Deliverable ${q(a.id)} does not exist`,
  ETHTransferFailed: () => "The native-token transfer failed",
  InvalidLedgerAddress: () => "Invalid LedgerManager address",
  InvalidVerifierInput: (a) => `Settlement rejected: ${a.reason}`,
  PenaltyPercentageTooHigh: (a) => `Penalty percentage ${num(a.percentage)} is above 100`,
  PreviousDeliverableNotAcknowledged: (a) => `The previous deliverable ${q(a.id)} is not acknowledged yet`,
  SecretShouldBeEmpty: () => "The encrypted secret must be empty here",
  SecretShouldNotBeEmpty: () => "The encrypted secret must not be empty",
  TransferToLedgerFailed: () => "Sending the refund back to the ledger failed",
}

/** OZ 4.x string reverts our contracts keep, with friendlier wording. */
const STRING_REVERTS: Readonly<Record<string, string>> = {
  "Ownable: caller is not the owner": "Only the contract owner can do this (Ownable: caller is not the owner)",
  "Ownable: new owner is the zero address": "The new owner cannot be the zero address",
  "ReentrancyGuard: reentrant call": "Re-entrant call rejected (ReentrancyGuard)",
}

/** Solidity panic codes (0x4e487b71). */
const PANICS: Readonly<Record<string, string>> = {
  "0": "generic compiler panic",
  "1": "assertion failed",
  "17": "arithmetic overflow or underflow",
  "18": "division or modulo by zero",
  "33": "invalid enum value",
  "34": "corrupt storage byte array",
  "49": "pop on an empty array",
  "50": "array index out of bounds",
  "65": "out of memory",
  "81": "call to an uninitialized function",
}

/** The message of a decoded revert (see `ContractRevert`). */
export const describeRevert = (error: string, args: Readonly<Record<string, unknown>>): string => {
  if (error === "Error") {
    const reason = String(args.reason)
    return STRING_REVERTS[reason] ?? `Reverted: ${reason}`
  }
  if (error === "Panic") {
    const code = String(args.code)
    return `Contract panic 0x${BigInt(code).toString(16)}: ${PANICS[code] ?? "unknown panic code"}`
  }
  if (error === "EmptyRevert") return "The contract reverted without a reason"
  if (error === "UnknownError") return `The contract reverted with an unknown error (selector ${String(args.selector)})`
  const fmt = (
    CUSTOM_ERROR_MESSAGES as unknown as Record<string, ((a: Readonly<Record<string, unknown>>) => string) | undefined>
  )[error]
  return fmt ? fmt(args) : `The contract reverted with ${error}`
}
