/**
 * Typed failures of the crypto package. Each carries the fields a program needs to react and a one-line message.
 * No error ever holds key material: only addresses, hashes, lengths and indexes.
 */
import { Data } from "effect"

const short = (hex: string) => (hex.length > 20 ? `${hex.slice(0, 10)}…${hex.slice(-8)}` : hex)

/** A signature that is not 65 bytes of r ‖ s ‖ v hex, has an invalid v, or does not recover to any key. */
export class MalformedSignature extends Data.TaggedError("MalformedSignature")<{
  readonly what: string
  readonly reason: string
}> {
  override get message() {
    return `Malformed ${this.what} signature: ${this.reason}`
  }
}

/** A signature recovered to an address other than the one that should have signed. */
export class SignerMismatch extends Data.TaggedError("SignerMismatch")<{
  readonly what: string
  readonly expected: string
  readonly recovered: string
}> {
  override get message() {
    return `${this.what} was signed by ${this.recovered}, expected ${this.expected}`
  }
}

/** The ethers Signer refused or failed to sign (user rejection, hardware wallet, RPC). */
export class SigningFailed extends Data.TaggedError("SigningFailed")<{
  readonly what: string
  readonly cause: unknown
}> {
  override get message() {
    const detail = this.cause instanceof Error ? this.cause.message.split("\n")[0] : String(this.cause)
    return `Signing the ${this.what} failed: ${detail}`
  }
}

// ── Session tokens ────────────────────────────────────────────────────────────────────────────────────────────────

/** Parameters that cannot make a valid token (tokenId range, ephemeral lifetime > 24 h, expiry before creation…). */
export class InvalidSessionTokenParams extends Data.TaggedError("InvalidSessionTokenParams")<{
  readonly field: string
  readonly reason: string
}> {
  override get message() {
    return `Invalid session token ${this.field}: ${this.reason}`
  }
}

/** An API key / Authorization header that does not decode to `<json>|<signature>` with a valid token JSON. */
export class MalformedSessionToken extends Data.TaggedError("MalformedSessionToken")<{ readonly reason: string }> {
  override get message() {
    return `Malformed session token: ${this.reason}`
  }
}

/** The token's `expiresAt` (ms since epoch) is in the past. */
export class SessionTokenExpired extends Data.TaggedError("SessionTokenExpired")<{
  readonly expiresAt: number
  readonly now: number
}> {
  override get message() {
    return `Session token expired at ${new Date(this.expiresAt).toISOString()}; create a new one`
  }
}

/** The token was issued for another provider. */
export class SessionTokenWrongProvider extends Data.TaggedError("SessionTokenWrongProvider")<{
  readonly expected: string
  readonly actual: string
}> {
  override get message() {
    return `Session token is for provider ${this.actual}, not ${this.expected}`
  }
}

/** Revoked on chain: by `revokeAllTokens` (older generation) or by its bit in `revokedBitmap`. */
export class SessionTokenRevoked extends Data.TaggedError("SessionTokenRevoked")<{
  readonly tokenId: number
  readonly by: "generation" | "bitmap"
  readonly tokenGeneration: bigint
  readonly accountGeneration: bigint
}> {
  override get message() {
    return this.by === "generation"
      ? `Session token (generation ${this.tokenGeneration}) was revoked: the account is at generation ${this.accountGeneration}`
      : `API key ${this.tokenId} was revoked on chain`
  }
}

/** The token claims a generation the account has not reached: it was not issued against this account state. */
export class SessionTokenGenerationAhead extends Data.TaggedError("SessionTokenGenerationAhead")<{
  readonly tokenGeneration: bigint
  readonly accountGeneration: bigint
}> {
  override get message() {
    return `Session token generation ${this.tokenGeneration} is ahead of the account generation ${this.accountGeneration}`
  }
}

// ── Response signatures ───────────────────────────────────────────────────────────────────────────────────────────

/** The provider returned no signature (or an empty one) for the exchange. */
export class SignatureMissing extends Data.TaggedError("SignatureMissing")<{ readonly chatId: string | undefined }> {
  override get message() {
    return `No response signature${this.chatId === undefined ? "" : ` for chat ${this.chatId}`}`
  }
}

/** The signed text is not `sha256hex(request):sha256hex(response)`, so it binds nothing we can check. */
export class MalformedSignedText extends Data.TaggedError("MalformedSignedText")<{ readonly text: string }> {
  override get message() {
    return `Signed text ${JSON.stringify(short(this.text))} is not "<sha256 request>:<sha256 response>"`
  }
}

/** The signed request hash differs from the hash of the bytes we sent: the provider signed another request. */
export class RequestHashMismatch extends Data.TaggedError("RequestHashMismatch")<{
  readonly signed: string
  readonly actual: string
}> {
  override get message() {
    return `Signed request hash ${short(this.signed)} does not match the sent request (${short(this.actual)})`
  }
}

/** The signed response hash differs from the hash of the bytes we received: the response was altered. */
export class ResponseHashMismatch extends Data.TaggedError("ResponseHashMismatch")<{
  readonly signed: string
  readonly actual: string
}> {
  override get message() {
    return `Signed response hash ${short(this.signed)} does not match the received response (${short(this.actual)})`
  }
}

// ── Fine-tuning messages ──────────────────────────────────────────────────────────────────────────────────────────

/** A signed timestamp outside the provider's acceptance window (default now − 300 s … now + 60 s). */
export class TimestampOutOfWindow extends Data.TaggedError("TimestampOutOfWindow")<{
  readonly timestamp: number
  readonly now: number
  readonly earliest: number
  readonly latest: number
}> {
  override get message() {
    return `Signed timestamp ${this.timestamp} is outside the accepted window ${this.earliest}…${this.latest} (now ${this.now}); re-sign`
  }
}

// ── ECIES ─────────────────────────────────────────────────────────────────────────────────────────────────────────

/** A public key that is not a valid secp256k1 point (65-byte uncompressed or 33-byte compressed). */
export class InvalidPublicKey extends Data.TaggedError("InvalidPublicKey")<{ readonly reason: string }> {
  override get message() {
    return `Invalid secp256k1 public key: ${this.reason}`
  }
}

/** An `encryptedSecret` that is too short or whose ephemeral key is not a curve point. */
export class MalformedEncryptedSecret extends Data.TaggedError("MalformedEncryptedSecret")<{
  readonly length: number
  readonly reason: string
}> {
  override get message() {
    return `Malformed encryptedSecret (${this.length} bytes): ${this.reason}`
  }
}

/** AES-GCM authentication of the wrapped secret failed: the private key is not the recipient's, or the blob changed. */
export class SecretUnwrapFailed extends Data.TaggedError("SecretUnwrapFailed")<{ readonly length: number }> {
  override get message() {
    return "Cannot unwrap the encrypted secret: wrong private key (not the key that signed the task) or altered data"
  }
}

// ── Encrypted model file ──────────────────────────────────────────────────────────────────────────────────────────

/** An AES key that is not 32 bytes. */
export class InvalidAesKey extends Data.TaggedError("InvalidAesKey")<{ readonly length: number }> {
  override get message() {
    return `AES-256 key must be 32 bytes, got ${this.length}`
  }
}

/**
 * The file is cut short: shorter than the header, a trailing piece too short for a GCM tag, or (diagnosed with the
 * key after a signature mismatch) a first chunk that authenticates and a last chunk that does not — i.e. the end of
 * the file is missing or damaged.
 */
export class ModelFileTruncated extends Data.TaggedError("ModelFileTruncated")<{
  readonly length: number
  readonly reason: string
}> {
  override get message() {
    return `Encrypted model file is truncated (${this.length} bytes): ${this.reason}`
  }
}

/** The tag signature does not come from the expected TEE signer (or the tags were cut, reordered or re-chunked). */
export class ModelTagSignatureMismatch extends Data.TaggedError("ModelTagSignatureMismatch")<{
  readonly expected: string
  readonly recovered: string
  readonly chunkCount: number
}> {
  override get message() {
    return `Model file tag signature recovers ${this.recovered}, expected TEE signer ${this.expected} (wrong signer, or ${this.chunkCount} chunk tags cut, reordered or chunked differently)`
  }
}

/** AES-GCM fails on every chunk tried: the AES key is not the one the file was encrypted with. */
export class ModelKeyMismatch extends Data.TaggedError("ModelKeyMismatch")<{ readonly chunkCount: number }> {
  override get message() {
    return this.chunkCount === 1
      ? "AES-GCM authentication failed on the only chunk: wrong model key (or altered ciphertext)"
      : "AES-GCM authentication failed on every chunk tried: wrong model key"
  }
}

/** One chunk fails AES-GCM while another decrypts with the same key: its ciphertext was altered. */
export class ModelChunkCorrupted extends Data.TaggedError("ModelChunkCorrupted")<{
  readonly chunkIndex: number
  readonly chunkCount: number
}> {
  override get message() {
    return `Encrypted model chunk ${this.chunkIndex + 1}/${this.chunkCount} failed AES-GCM authentication: the ciphertext was altered`
  }
}

/** A file-system operation of the streaming model-file code failed. */
export class ModelFileIoError extends Data.TaggedError("ModelFileIoError")<{
  readonly path: string
  readonly operation: string
  readonly cause: unknown
}> {
  override get message() {
    const code = (this.cause as { code?: unknown } | undefined)?.code
    const detail =
      typeof code === "string" ? code : this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `Cannot ${this.operation} ${this.path}: ${detail}`
  }
}
