/**
 * The error catalogue shared by every package.
 *
 * Every failure a user can cause or meet is a tagged error: `_tag` plus fields a program can act on, and a one-line
 * human `message` the CLI prints. They are `Error` subclasses, so the Promise facades reject with them unchanged.
 */
import { Data } from "effect"
import { formatZG as formatNeuron } from "./units.js"

/** What every error of ours is: an `Error` with a `_tag` and data fields. */
export interface ZgError extends Error {
  readonly _tag: string
}

/** True for our tagged errors (and any Effect tagged error), false for plain errors and non-errors. */
export const isZgError = (u: unknown): u is ZgError =>
  u instanceof Error && typeof (u as { _tag?: unknown })._tag === "string"

/** An amount string that is not a valid non-negative decimal 0G value with at most 18 decimals. */
export class InvalidAmount extends Data.TaggedError("InvalidAmount")<{
  readonly input: string
  readonly reason: string
}> {
  override get message() {
    return `Invalid amount ${JSON.stringify(this.input)}: ${this.reason}`
  }
}

/** A facade used after its `close()`: its runtime (and the RPC provider it made) is gone. */
export class ClientClosed extends Data.TaggedError("ClientClosed") {
  override get message() {
    return "This client was closed; create a new one to continue"
  }
}

/** A string that is not a 20-byte hex address (or has a wrong EIP-55 checksum). */
export class InvalidAddress extends Data.TaggedError("InvalidAddress")<{ readonly input: string }> {
  override get message() {
    const text = this.input.trim()
    const why = /^0x0{40}$/.test(text)
      ? "the zero address is not allowed here"
      : /^0x[0-9a-fA-F]{40}$/.test(text)
        ? "its upper/lower case does not match its EIP-55 checksum (a typo? an all-lower-case address skips the check)"
        : "expected 0x followed by 40 hex digits"
    return `Invalid address ${JSON.stringify(this.input)}: ${why}`
  }
}

/** A private key that is not 32 bytes of hex. The key itself is never included. */
export class InvalidPrivateKey extends Data.TaggedError("InvalidPrivateKey")<{ readonly reason: string }> {
  override get message() {
    return `Invalid private key: ${this.reason}`
  }
}

/** A network name that is neither a preset nor an http(s) RPC URL. */
export class UnknownNetwork extends Data.TaggedError("UnknownNetwork")<{ readonly input: string }> {
  override get message() {
    return `Unknown network ${JSON.stringify(this.input)}: use devnet, testnet, testnet-dev, mainnet or an http(s) RPC URL`
  }
}

/** The chain reports a chain id we have no contract addresses for; we never fall back silently. */
export class UnknownChainId extends Data.TaggedError("UnknownChainId")<{ readonly chainId: bigint }> {
  override get message() {
    return `Chain id ${this.chainId} is not a known 0G network; pass its contract addresses in the \`contracts\` option`
  }
}

/** The RPC answered with a chain id other than the one the chosen preset expects. */
export class ChainMismatch extends Data.TaggedError("ChainMismatch")<{
  readonly expected: bigint
  readonly actual: bigint
}> {
  override get message() {
    return `RPC is on chain ${this.actual}, expected ${this.expected}`
  }
}

/** The RPC endpoint failed or could not be reached. */
export class RpcError extends Data.TaggedError("RpcError")<{
  readonly method: string
  readonly cause: unknown
}> {
  override get message() {
    const detail = describeCause(this.cause)
    return `RPC call ${this.method} failed: ${detail}`
  }
}

/** An operation needs a signer but only a read-only provider was configured. */
export class SignerRequired extends Data.TaggedError("SignerRequired")<{ readonly operation: string }> {
  override get message() {
    return `${this.operation} needs a signer: create the client with \`privateKey\` or \`signer\` (a read-only client cannot sign)`
  }
}

/** A balance is too small for the requested operation. Amounts are in neuron. */
export class InsufficientBalance extends Data.TaggedError("InsufficientBalance")<{
  readonly what: string
  readonly required: bigint
  readonly available: bigint
}> {
  override get message() {
    return `Insufficient ${this.what}: need ${formatNeuron(this.required)} 0G, have ${formatNeuron(this.available)} 0G`
  }
}

/** An amount below an on-chain minimum (MIN_ACCOUNT_BALANCE, MIN_TRANSFER_AMOUNT, …). Amounts are in neuron. */
export class BelowMinimum extends Data.TaggedError("BelowMinimum")<{
  readonly what: string
  readonly amount: bigint
  readonly minimum: bigint
}> {
  override get message() {
    return `${this.what} of ${formatNeuron(this.amount)} 0G is below the on-chain minimum of ${formatNeuron(this.minimum)} 0G`
  }
}

/** Structured provider/chain data that does not match its Schema. */
export class MalformedData extends Data.TaggedError("MalformedData")<{
  readonly what: string
  readonly detail: string
}> {
  override get message() {
    return `Malformed ${this.what}: ${this.detail}`
  }
}

/** First line of a cause, safe for any value (including null-prototype objects, which String() rejects). */
export const describeCause = (cause: unknown): string => {
  if (cause instanceof Error) return redactUrls(cause.message.split("\n")[0] ?? "")
  try {
    return redactUrls(String(cause))
  } catch {
    return Object.prototype.toString.call(cause)
  }
}

const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'@]*@)?([^\s/?#"'@]+)([^\s"']*)/gi

/**
 * Every URL in `text` as scheme and host only: RPC providers put credentials in the userinfo and API keys in the path
 * or query (`https://user:pass@host/v3/KEY`), and ethers copies the request URL into its error messages.
 */
export const redactUrls = (text: string): string =>
  text.replace(
    URL_IN_TEXT,
    (_, scheme: string, userinfo: string | undefined, host: string, rest: string) =>
      `${scheme}${userinfo === undefined ? "" : "***@"}${host}${rest === "" || rest === "/" ? rest : "/***"}`,
  )

/** A provider's HTTP endpoint could not be reached (connection refused, DNS, TLS, a stalled transfer). */
export class ProviderUnreachable extends Data.TaggedError("ProviderUnreachable")<{
  readonly provider: string
  readonly url: string
  readonly cause: unknown
}> {
  override get message() {
    const inner = (this.cause as { cause?: unknown } | undefined)?.cause ?? this.cause
    const detail = inner === undefined ? "" : describeCause(inner)
    return `Provider ${this.provider} is unreachable at ${redactUrls(this.url)}${detail ? `: ${detail}` : ""}`
  }
}

/** A provider's reply that does not have the protocol's shape (`what`: which reply; `url` when it helps). */
export class MalformedProviderResponse extends Data.TaggedError("MalformedProviderResponse")<{
  readonly provider: string
  readonly what: string
  readonly detail: string
  readonly url?: string
}> {
  override get message() {
    const where = this.url === undefined ? "" : ` (${redactUrls(this.url)})`
    return `Provider ${this.provider} returned a malformed ${this.what}${where}: ${this.detail}`
  }
}

/** A provider answered with a non-2xx status that no more specific error describes. */
export class ProviderHttpError extends Data.TaggedError("ProviderHttpError")<{
  readonly provider: string
  readonly url: string
  readonly status: number
  /** The provider's error message (its JSON `error` field, or the start of the body). */
  readonly detail: string
}> {
  override get message() {
    return `Provider ${this.provider} answered ${this.status} for ${this.url}: ${this.detail}`
  }
}

/**
 * The provider's TEE signer is not acknowledged. `level: "owner"`: the contract owner has not vetted it, so its
 * responses can be neither trusted nor settled (inference; fine-tuning reports that case as `ProviderNotVetted`).
 * `level: "user"` or absent: this account has not acknowledged it on its sub-account.
 */
export class ProviderNotAcknowledged extends Data.TaggedError("ProviderNotAcknowledged")<{
  readonly provider: string
  readonly level?: "owner" | "user"
}> {
  override get message() {
    return this.level === "owner"
      ? `Provider ${this.provider}: its TEE signer is not acknowledged by the contract owner; its responses cannot be trusted or settled`
      : `Provider ${this.provider} is not acknowledged by this account; acknowledge it first (\`acknowledge(provider)\` for inference, \`acknowledgeProvider(provider)\` for fine-tuning)`
  }
}
