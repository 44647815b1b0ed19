/**
 * ECIES wrapping of the model key (fine-tuning-protocol.md §8), byte-compatible with eciesjs defaults and the
 * broker's Go ecies v2:
 *   ephemeralPubKey(65, uncompressed) ‖ nonce(16) ‖ tag(16) ‖ ciphertext
 *   key = HKDF-SHA256(ephemeralPubKey ‖ uncompressed shared point), AES-256-GCM, no AAD.
 * Unwrapping is eciesjs itself (with an explicit config, so nobody's global ECIES_CONFIG changes it). Wrapping
 * uses eciesjs's key encapsulation plus @noble/ciphers GCM so the nonce can be fixed for golden vectors.
 */
import { type InvalidPrivateKey, MalformedData, parsePrivateKeyResult } from "@0g-compute/core"
import { gcm } from "@noble/ciphers/aes.js"
import { hexToBytes, randomBytes } from "@noble/hashes/utils.js"
import { decrypt, PrivateKey, PublicKey } from "eciesjs"
import { Config } from "eciesjs/config"
import { Effect, Redacted, Result } from "effect"
import { type BytesLike, concatBytes, parseBytes } from "./bytes.js"
import { InvalidPublicKey, MalformedEncryptedSecret, SecretUnwrapFailed } from "./errors.js"

const EPHEMERAL_KEY_LENGTH = 65
const NONCE_LENGTH = 16
const TAG_LENGTH = 16
/** Length of a wrapped 32-byte model key. */
export const ENCRYPTED_SECRET_LENGTH = EPHEMERAL_KEY_LENGTH + NONCE_LENGTH + TAG_LENGTH + 32

const config = (): Config => {
  const c = new Config()
  c.ellipticCurve = "secp256k1"
  c.isEphemeralKeyCompressed = false
  c.isHkdfKeyCompressed = false
  c.symmetricAlgorithm = "aes-256-gcm"
  c.symmetricNonceLength = NONCE_LENGTH
  return c
}

/** Raw bytes of a validated private key (parsePrivateKey yields 0x + 64 lower-case hex). */
const privateKeyBytes = (key: Redacted.Redacted<string>): Result.Result<Uint8Array, InvalidPrivateKey> =>
  Result.map(parsePrivateKeyResult(Redacted.value(key)), (k) => hexToBytes(Redacted.value(k).slice(2)))

/** Validates a secp256k1 public key (65-byte uncompressed or 33-byte compressed). */
export const parsePublicKey = (input: BytesLike): Result.Result<PublicKey, InvalidPublicKey> =>
  parseBytes("public key", input).pipe(
    Result.mapError((e) => new InvalidPublicKey({ reason: e.detail })),
    Result.flatMap((bytes) =>
      bytes.length !== 65 && bytes.length !== 33
        ? Result.fail(new InvalidPublicKey({ reason: `expected 65 or 33 bytes, got ${bytes.length}` }))
        : Result.try({
            try: () => new PublicKey(bytes, "secp256k1"),
            catch: () => new InvalidPublicKey({ reason: "not a point on secp256k1" }),
          }),
    ),
  )

export interface WrapSecretOptions {
  /** Fixed ephemeral private key (golden vectors only; normally fresh random). */
  readonly ephemeralPrivateKey?: Redacted.Redacted<string>
  /** Fixed 16-byte GCM nonce (golden vectors only; normally fresh random). */
  readonly nonce?: Uint8Array
}

/** Wraps `secret` (the 32-byte model key) for the holder of `recipientPublicKey`. */
export const wrapSecret = (
  recipientPublicKey: BytesLike,
  secret: Redacted.Redacted<Uint8Array>,
  options: WrapSecretOptions = {},
): Effect.Effect<Uint8Array, InvalidPublicKey | InvalidPrivateKey | MalformedData> =>
  Effect.gen(function* () {
    const recipient = yield* Effect.fromResult(parsePublicKey(recipientPublicKey))
    const ephemeral =
      options.ephemeralPrivateKey === undefined
        ? new PrivateKey(undefined, "secp256k1")
        : new PrivateKey(yield* Effect.fromResult(privateKeyBytes(options.ephemeralPrivateKey)), "secp256k1")
    const nonce = options.nonce ?? randomBytes(NONCE_LENGTH)
    if (nonce.length !== NONCE_LENGTH) {
      return yield* new MalformedData({
        what: "ECIES nonce",
        detail: `expected ${NONCE_LENGTH} bytes, got ${nonce.length}`,
      })
    }
    const key = ephemeral.encapsulate(recipient, false)
    const sealed = gcm(key, nonce).encrypt(Redacted.value(secret)) // ciphertext ‖ tag
    const cut = sealed.length - TAG_LENGTH
    return concatBytes(ephemeral.publicKey.toBytes(false), nonce, sealed.subarray(cut), sealed.subarray(0, cut))
  })

/**
 * Unwraps an `encryptedSecret` with the recipient's raw private key (the key that signed the create-task message).
 * The result stays `Redacted`: it is the model's AES key.
 */
export const unwrapSecret = (
  encryptedSecret: BytesLike,
  privateKey: Redacted.Redacted<string>,
): Result.Result<Redacted.Redacted<Uint8Array>, MalformedEncryptedSecret | SecretUnwrapFailed | InvalidPrivateKey> =>
  Result.gen(function* () {
    const blob = yield* parseBytes("encryptedSecret", encryptedSecret).pipe(
      Result.mapError((e) => new MalformedEncryptedSecret({ length: 0, reason: e.detail })),
    )
    if (blob.length <= EPHEMERAL_KEY_LENGTH + NONCE_LENGTH + TAG_LENGTH) {
      return yield* Result.fail(
        new MalformedEncryptedSecret({
          length: blob.length,
          reason: `shorter than ephemeral key + nonce + tag + 1 (${EPHEMERAL_KEY_LENGTH + NONCE_LENGTH + TAG_LENGTH + 1} bytes)`,
        }),
      )
    }
    if (blob[0] !== 0x04) {
      return yield* Result.fail(
        new MalformedEncryptedSecret({ length: blob.length, reason: "ephemeral key is not 0x04-uncompressed" }),
      )
    }
    yield* parsePublicKey(blob.subarray(0, EPHEMERAL_KEY_LENGTH)).pipe(
      Result.mapError(
        () => new MalformedEncryptedSecret({ length: blob.length, reason: "ephemeral key is not a curve point" }),
      ),
    )
    const key = yield* privateKeyBytes(privateKey)
    const plain = yield* Result.try({
      try: () => {
        try {
          return decrypt(key, blob, config())
        } finally {
          key.fill(0)
        }
      },
      catch: () => new SecretUnwrapFailed({ length: blob.length }),
    })
    return Redacted.make(plain)
  })
