/**
 * In-memory encrypted model codec (browser-safe). The decrypted bytes are only returned after the tag signature
 * has been checked against the expected TEE signer and every chunk has passed AES-GCM authentication.
 * For files, use `decryptModelFile` / `encryptModelFile` from `@0g-compute/crypto/node` (flat memory).
 */
import type { InvalidPrivateKey, MalformedData } from "@0g-compute/core"
import { Effect, type Redacted } from "effect"
import { makeAesGcmCipher } from "./aes-gcm.js"
import type {
  InvalidAesKey,
  MalformedSignature,
  ModelChunkCorrupted,
  ModelFileTruncated,
  ModelKeyMismatch,
  ModelTagSignatureMismatch,
} from "./errors.js"
import {
  aesKeyBytes,
  checkTagSignature,
  chunkIv,
  classifyChunkFailure,
  GCM_TAG_LENGTH,
  MODEL_HEADER_LENGTH,
  type ModelCodecOptions,
  modelChunkCount,
  modelFileLayout,
  modelFileLength,
  modelSealer,
  TAG_SIGNATURE_LENGTH,
} from "./model-format.js"

export interface EncryptModelOptions extends ModelCodecOptions {
  /** The 32-byte AES-256 key (wrapped for the user with `wrapSecret`). */
  readonly key: Redacted.Redacted<Uint8Array>
  /** The TEE signer's private key: it signs the tag digest. */
  readonly teeKey: Redacted.Redacted<string>
  /** Initial 12-byte IV; default random. Fixed only for golden vectors. */
  readonly iv0?: Uint8Array
}

export type EncryptModelError = InvalidAesKey | InvalidPrivateKey | MalformedData

/** Encrypts a plaintext (the model zip) into the provider file format. */
export const encryptModel = (
  plaintext: Uint8Array,
  options: EncryptModelOptions,
): Effect.Effect<Uint8Array, EncryptModelError> =>
  Effect.gen(function* () {
    const { iv0, chunkSize, seal, signature } = yield* modelSealer(options)
    const n = modelChunkCount(plaintext.length, chunkSize)
    const out = new Uint8Array(modelFileLength(plaintext.length, chunkSize))
    out.set(iv0, TAG_SIGNATURE_LENGTH)
    let offset = MODEL_HEADER_LENGTH
    for (let i = 0; i < n; i++) {
      const sealed = yield* seal(i, plaintext.subarray(i * chunkSize, Math.min((i + 1) * chunkSize, plaintext.length)))
      out.set(sealed, offset)
      offset += sealed.length
    }
    out.set(yield* signature(), 0)
    return out
  })

export interface DecryptModelOptions extends ModelCodecOptions {
  /** The 32-byte AES-256 key (from `unwrapSecret`). */
  readonly key: Redacted.Redacted<Uint8Array>
  /** The FT service's `teeSignerAddress`. */
  readonly expectedSigner: string
}

export type DecryptModelError =
  | InvalidAesKey
  | ModelFileTruncated
  | MalformedSignature
  | ModelTagSignatureMismatch
  | ModelKeyMismatch
  | ModelChunkCorrupted

/** What a successful decryption proved. */
export interface ModelDecryption {
  readonly signer: string
  readonly chunkCount: number
  readonly tagsDigest: string
}

/**
 * Decrypts an encrypted model held in memory. Order: layout → tag signature (cheap, before any decryption) →
 * every chunk through AES-GCM → only then the plaintext is returned.
 */
export const decryptModel = (
  file: Uint8Array,
  options: DecryptModelOptions,
): Effect.Effect<{ readonly plaintext: Uint8Array } & ModelDecryption, DecryptModelError> =>
  Effect.gen(function* () {
    const key = yield* Effect.fromResult(aesKeyBytes(options.key))
    const layout = yield* Effect.fromResult(modelFileLayout(file.length, options.chunkSize))
    const n = layout.chunkCount
    const sealedChunk = (i: number) =>
      file.subarray(layout.chunkOffset(i), layout.chunkOffset(i) + layout.chunkLength(i))
    const tags = Array.from({ length: n }, (_, i) => sealedChunk(i).subarray(-GCM_TAG_LENGTH))
    const iv0 = file.subarray(TAG_SIGNATURE_LENGTH, MODEL_HEADER_LENGTH)
    const cipher = yield* Effect.promise(() => makeAesGcmCipher(key, options.backend))
    const chunkDecrypts = (i: number) =>
      Effect.promise(async () => (await cipher.decrypt(chunkIv(iv0, i), sealedChunk(i))) !== undefined)
    const { signer, tagsDigest } = yield* checkTagSignature(file, tags, layout, options.expectedSigner, chunkDecrypts)
    const plaintext = new Uint8Array(layout.plainLength)
    for (let i = 0; i < n; i++) {
      const plain = yield* Effect.promise(() => cipher.decrypt(chunkIv(iv0, i), sealedChunk(i)))
      if (plain === undefined) {
        plaintext.fill(0)
        return yield* classifyChunkFailure(i, n, chunkDecrypts(1))
      }
      plaintext.set(plain, i * layout.chunkSize)
    }
    return { plaintext, signer, chunkCount: n, tagsDigest }
  })
