/**
 * ECDSA plumbing over ethers: strict sig65 parsing, signer/public-key recovery from a digest, signing through any
 * ethers `Signer`. Every module that checks a signature goes through here so the error shapes stay uniform.
 * Parsing and recovery are pure and synchronous, so they return a `Result`; only signing (a Signer may be remote)
 * is an `Effect`.
 */
import { Effect, Result } from "effect"
import { getAddress, hashMessage, recoverAddress, Signature, type Signer, SigningKey } from "ethers"
import { type BytesLike, parseBytes, toHex } from "./bytes.js"
import { MalformedSignature, SignerMismatch, SigningFailed } from "./errors.js"

const firstLine = (e: unknown): string => (e instanceof Error ? (e.message.split(" (")[0] ?? "") : "")

/** Parses r ‖ s ‖ v (65 bytes). v may be 27/28 (Ethereum) or 0/1 (the TEE file signer, newer brokers). */
export const parseSignature = (what: string, input: BytesLike): Result.Result<Signature, MalformedSignature> => {
  const bytes = parseBytes(what, input, 65)
  if (Result.isFailure(bytes)) return Result.fail(new MalformedSignature({ what, reason: bytes.failure.detail }))
  const v = bytes.success[64] ?? 0
  if (v !== 0 && v !== 1 && v !== 27 && v !== 28) {
    return Result.fail(new MalformedSignature({ what, reason: `v must be 0, 1, 27 or 28, got ${v}` }))
  }
  try {
    return Result.succeed(Signature.from(toHex(bytes.success)))
  } catch (e) {
    return Result.fail(new MalformedSignature({ what, reason: firstLine(e) }))
  }
}

const recoverWith =
  (recover: (digest: string, sig: Signature) => string) =>
  (what: string, digest: string, signature: BytesLike): Result.Result<string, MalformedSignature> => {
    const sig = parseSignature(what, signature)
    if (Result.isFailure(sig)) return Result.fail(sig.failure)
    try {
      return Result.succeed(recover(digest, sig.success))
    } catch {
      return Result.fail(new MalformedSignature({ what, reason: "does not recover to a public key" }))
    }
  }

/** Recovers the EIP-55 address that signed a raw 32-byte digest. */
export const recoverSigner = recoverWith(recoverAddress)

/** Recovers the uncompressed public key (0x04 ‖ X ‖ Y) that signed a raw 32-byte digest. */
export const recoverPublicKeyFromDigest = recoverWith((digest, sig) => SigningKey.recoverPublicKey(digest, sig))

/** Fails with `SignerMismatch` unless the two addresses are equal (case-insensitive). Returns the EIP-55 form. */
export const expectSigner = (
  what: string,
  recovered: string,
  expected: string,
): Result.Result<string, SignerMismatch> =>
  recovered.toLowerCase() === expected.toLowerCase()
    ? Result.succeed(getAddress(recovered))
    : Result.fail(new SignerMismatch({ what, expected, recovered }))

/** EIP-191 digest: keccak256("\x19Ethereum Signed Message:\n" + len ‖ message). Strings are UTF-8 text. */
export const personalDigest = (message: Uint8Array | string): string => hashMessage(message)

/** `personal_sign` through an ethers Signer. */
export const signPersonal = (
  signer: Signer,
  what: string,
  message: Uint8Array | string,
): Effect.Effect<string, SigningFailed> =>
  Effect.tryPromise({ try: () => signer.signMessage(message), catch: (cause) => new SigningFailed({ what, cause }) })

/** The signer's address, EIP-55. */
export const signerAddress = (signer: Signer, what: string): Effect.Effect<string, SigningFailed> =>
  Effect.tryPromise({
    try: async () => getAddress(await signer.getAddress()),
    catch: (cause) => new SigningFailed({ what, cause }),
  })
