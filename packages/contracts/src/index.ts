/**
 * @0g-compute/contracts — browser-safe entry: typed clients, revert decoding, the transaction engine and the
 * `Ledger` service (Effect) with its `LedgerClient` facade (Promise). Node-only helpers (anvil, deploy) live in
 * `@0g-compute/contracts/node`.
 */
export {
  CONTRACT_NAMES,
  type ContractName,
  contractInterfaces,
  fineTuningServing,
  inferenceServing,
  ledgerManager,
} from "./clients.js"
export { type ConnectionStack, type ConnectionStackOptions, connectionStackLayer } from "./connection.js"
export {
  AdditionalInfoTooLong,
  ConnectionRequired,
  ContractRevert,
  InvalidAdditionalInfo,
  InvalidServiceType,
  LedgerAlreadyExists,
  LedgerNotEmpty,
  LedgerNotFound,
  ProviderIsSelf,
  RefundWouldStrand,
  ServiceNotRegistered,
  TransactionReverted,
  TransactionTimeout,
} from "./errors.js"
export * from "./generated/index.js"
export {
  entryOf,
  type JournalEntry,
  type JournalOutcome,
  memoryTxJournal,
  TxJournal,
  type TxJournalShape,
} from "./journal.js"
export {
  type AmountInput,
  createLedgerClient,
  LedgerClient,
  type LedgerClientOptions,
  ledgerClientOn,
} from "./ledger/facade.js"
export { Ledger, type LedgerShape, makeLedger } from "./ledger/service.js"
export {
  type LedgerInfo,
  type LedgerLimits,
  parseServiceType,
  type RefundInfo,
  type ResolvedService,
  SERVICE_TYPES,
  type ServiceType,
  type SubAccount,
} from "./ledger/types.js"
export { decodeRevertData, extractRevertData, isRevert, revertFromError } from "./revert.js"
export { CUSTOM_ERROR_MESSAGES, type CustomErrorArgs, type CustomErrorName, describeRevert } from "./revert-messages.js"
export {
  defaultIntent,
  makeTxEngine,
  type PendingIntent,
  type ReplaceResult,
  type TxControlError,
  TxEngine,
  type TxEngineOptions,
  type TxEngineShape,
  type TxError,
  type TxRequest,
  type TxResult,
} from "./tx/engine.js"
export {
  GasPriceAboveMax,
  InvalidTxOption,
  NonceConsumed,
  NotOwnTransaction,
  PendingIntentExists,
  TransactionAlreadyMined,
  TransactionCancelled,
  TransactionNotFound,
  TransactionOutcomeUnknown,
  TxJournalError,
} from "./tx/errors.js"
export { bumpFees, capFees, classifySendError, type Fees, replacementFees, withHeadroom } from "./tx/fees.js"
