/**
 * Typed outcomes of the transaction engine besides a receipt. Every one that follows a signature carries the hash,
 * so a caller (or the CLI) can always `tx wait`, `tx speed-up` or `tx cancel` the very transaction that was signed.
 */

import { Data } from "effect"
import { formatUnits } from "ethers"

const gwei = (wei: bigint) => `${formatUnits(wei, "gwei")} gwei`

/**
 * The engine could not learn whether the transaction reached the network (the send failed and so did every check
 * and rebroadcast). Its signed bytes exist: it may still be mined, so nothing new is signed for this intent.
 */
export class TransactionOutcomeUnknown extends Data.TaggedError("TransactionOutcomeUnknown")<{
  readonly hash: string
  readonly nonce: number
  readonly reason: string
}> {
  override get message() {
    return `Transaction ${this.hash} (nonce ${this.nonce}) may or may not have reached the network (${this.reason}); wait for it by its hash (or cancel it) before sending again`
  }
}

/** The chain does not know the transaction and its nonce was used by another one: it can never be mined. */
export class NonceConsumed extends Data.TaggedError("NonceConsumed")<{
  readonly hash: string
  readonly nonce: number
}> {
  override get message() {
    return `Transaction ${this.hash} was not mined: nonce ${this.nonce} was used by a different transaction from this account; check that one before sending again`
  }
}

/** The intent was cancelled: the transaction mined at its nonce is our zero-value cancellation, nothing else ran. */
export class TransactionCancelled extends Data.TaggedError("TransactionCancelled")<{
  /** The cancellation that was mined. */
  readonly hash: string
  readonly nonce: number
}> {
  override get message() {
    return `The operation was cancelled: transaction ${this.hash} (nonce ${this.nonce}) is the cancellation, nothing else was done; send it again to do it`
  }
}

/** An earlier transaction for the same intent is still unresolved (pending); nothing new was signed. */
export class PendingIntentExists extends Data.TaggedError("PendingIntentExists")<{
  readonly intent: string
  readonly hash: string
  readonly nonce: number
}> {
  override get message() {
    return `An earlier transaction ${this.hash} for the same operation (${this.intent}) is still pending; wait for it, speed it up or cancel it by its hash instead of paying twice`
  }
}

/** The network asks for a higher gas price than the configured ceiling. Nothing was signed at that price. */
export class GasPriceAboveMax extends Data.TaggedError("GasPriceAboveMax")<{
  /** Price per gas the transaction would need, in neuron (wei). */
  readonly required: bigint
  readonly maximum: bigint
}> {
  override get message() {
    return `The transaction needs a gas price of ${gwei(this.required)}, above the configured maximum of ${gwei(this.maximum)}; raise maxGasPrice or retry later`
  }
}

/** Neither the node nor the journal knows this transaction hash. */
export class TransactionNotFound extends Data.TaggedError("TransactionNotFound")<{ readonly hash: string }> {
  override get message() {
    return `Transaction ${this.hash} is unknown to the node and to the local journal`
  }
}

/** A replacement or cancellation was asked for a transaction that is already mined. */
export class TransactionAlreadyMined extends Data.TaggedError("TransactionAlreadyMined")<{
  readonly hash: string
  readonly blockNumber: number
}> {
  override get message() {
    return `Transaction ${this.hash} is already mined in block ${this.blockNumber}; it can no longer be replaced or cancelled`
  }
}

/** A replacement or cancellation was asked for a transaction signed by another account. */
export class NotOwnTransaction extends Data.TaggedError("NotOwnTransaction")<{
  readonly hash: string
  readonly from: string
  readonly address: string
}> {
  override get message() {
    return `Transaction ${this.hash} was sent by ${this.from}, not by this wallet (${this.address})`
  }
}

/** The pending-transaction journal could not be read or written; nothing was broadcast. */
export class TxJournalError extends Data.TaggedError("TxJournalError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `Transaction journal ${this.path}: ${this.reason}`
  }
}

/** A transaction option that is no usable value (NaN, infinite, negative); nothing was signed with it. */
export class InvalidTxOption extends Data.TaggedError("InvalidTxOption")<{
  readonly option: string
  readonly value: string
  readonly reason: string
}> {
  override get message() {
    return `Transaction option ${this.option} = ${this.value}: ${this.reason}`
  }
}
