/**
 * The encrypted model file layout (fine-tuning-protocol.md §7.1), shared by the in-memory and streaming codecs:
 *
 *   tagSig(65) ‖ iv0(12) ‖ chunk_1 ‖ … ‖ chunk_n,   chunk_i = AES-256-GCM(key, iv0 + (i−1), plain_i) ‖ tag_i(16)
 *
 * tagSig is a raw ECDSA signature (no EIP-191 prefix) by the TEE signer over keccak256(tag_1 ‖ … ‖ tag_n), v = 0/1.
 */
import { type InvalidPrivateKey, type MalformedData, parsePrivateKeyResult } from "@0g-compute/core"
import { keccak_256 } from "@noble/hashes/sha3.js"
import { hexToBytes, randomBytes } from "@noble/hashes/utils.js"
import { Effect, Redacted, Result } from "effect"
import { SigningKey } from "ethers"
import { type AesGcmBackend, makeAesGcmCipher } from "./aes-gcm.js"
import { parseBytes, toHex } from "./bytes.js"
import {
  InvalidAesKey,
  type MalformedSignature,
  ModelChunkCorrupted,
  ModelFileTruncated,
  ModelKeyMismatch,
  ModelTagSignatureMismatch,
} from "./errors.js"
import type { EncryptModelOptions } from "./model-file.js"
import { recoverSigner } from "./signature.js"

/** Plaintext bytes per chunk used by providers (64 MiB). */
export const MODEL_CHUNK_SIZE = 64 * 1024 * 1024
export const TAG_SIGNATURE_LENGTH = 65
export const IV_LENGTH = 12
export const GCM_TAG_LENGTH = 16
/** tagSig ‖ iv0. */
export const MODEL_HEADER_LENGTH = TAG_SIGNATURE_LENGTH + IV_LENGTH

export interface ModelCodecOptions {
  /** Plaintext bytes per chunk; default 64 MiB. Both sides must agree (tests use small chunks). */
  readonly chunkSize?: number
  /** AES-GCM implementation; default WebCrypto when available. */
  readonly backend?: AesGcmBackend
}

/** Progress of a chunked operation; `bytesDone`/`bytesTotal` count plaintext bytes. */
export interface ModelProgress {
  readonly chunkIndex: number
  readonly chunkCount: number
  readonly bytesDone: number
  readonly bytesTotal: number
}

/** `iv0 + index` as a 12-byte big-endian counter (the carry runs leftwards; wraps modulo 2^96). */
export const chunkIv = (iv0: Uint8Array, index: number): Uint8Array => {
  const iv = Uint8Array.from(iv0)
  let carry = index
  for (let i = iv.length - 1; i >= 0 && carry > 0; i--) {
    const sum = (iv[i] ?? 0) + (carry % 256)
    iv[i] = sum & 0xff
    carry = Math.floor(carry / 256) + (sum > 0xff ? 1 : 0)
  }
  return iv
}

/** Number of chunks for a plaintext length (0 for an empty plaintext). */
export const modelChunkCount = (plainLength: number, chunkSize = MODEL_CHUNK_SIZE): number =>
  Math.ceil(plainLength / chunkSize)

/** Encrypted file length: 77 + len + 16 × n. */
export const modelFileLength = (plainLength: number, chunkSize = MODEL_CHUNK_SIZE): number =>
  MODEL_HEADER_LENGTH + plainLength + GCM_TAG_LENGTH * modelChunkCount(plainLength, chunkSize)

/** Where each chunk (ciphertext ‖ tag) lies in a file of a given length. */
export interface ModelFileLayout {
  readonly fileLength: number
  readonly chunkSize: number
  readonly chunkCount: number
  readonly plainLength: number
  /** Byte offset of chunk `i` in the file. */
  readonly chunkOffset: (i: number) => number
  /** Sealed length (ciphertext + tag) of chunk `i`. */
  readonly chunkLength: (i: number) => number
}

/** Derives the chunk layout from the file length; fails when no valid file has that length. */
export const modelFileLayout = (
  fileLength: number,
  chunkSize = MODEL_CHUNK_SIZE,
): Result.Result<ModelFileLayout, ModelFileTruncated> => {
  if (fileLength < MODEL_HEADER_LENGTH) {
    return Result.fail(
      new ModelFileTruncated({ length: fileLength, reason: `shorter than the ${MODEL_HEADER_LENGTH}-byte header` }),
    )
  }
  const stride = chunkSize + GCM_TAG_LENGTH
  const body = fileLength - MODEL_HEADER_LENGTH
  const full = Math.floor(body / stride)
  const rest = body % stride
  if (rest > 0 && rest <= GCM_TAG_LENGTH) {
    return Result.fail(
      new ModelFileTruncated({ length: fileLength, reason: `the last ${rest} bytes cannot hold a chunk and its tag` }),
    )
  }
  const chunkCount = full + (rest > 0 ? 1 : 0)
  return Result.succeed({
    fileLength,
    chunkSize,
    chunkCount,
    plainLength: body - GCM_TAG_LENGTH * chunkCount,
    chunkOffset: (i) => MODEL_HEADER_LENGTH + i * stride,
    chunkLength: (i) => (i < full ? stride : rest),
  })
}

/** keccak256(tag_1 ‖ … ‖ tag_n): the digest the TEE signs. */
export const modelTagsDigest = (tags: ReadonlyArray<Uint8Array>): string => {
  const h = keccak_256.create()
  for (const t of tags) h.update(t)
  return toHex(h.digest())
}

/** Signs the tag digest with the TEE key, raw (no EIP-191), v written as 0/1 like the provider. */
export const signModelTags = (
  digest: string,
  teeKey: Redacted.Redacted<string>,
): Result.Result<Uint8Array, InvalidPrivateKey> =>
  Result.map(parsePrivateKeyResult(Redacted.value(teeKey)), (k) => {
    const sig = new SigningKey(Redacted.value(k)).sign(digest)
    const out = new Uint8Array(TAG_SIGNATURE_LENGTH)
    out.set(hexBytes(sig.r), 0)
    out.set(hexBytes(sig.s), 32)
    out[64] = sig.yParity
    return out
  })

const hexBytes = (hex: string): Uint8Array => hexToBytes(hex.slice(2))

/** Recovers the tag signer and requires the expected TEE signer. Accepts v = 0/1 and 27/28. */
export const verifyModelTagSignature = (
  tagSignature: Uint8Array,
  digest: string,
  expectedSigner: string,
  chunkCount: number,
): Result.Result<string, MalformedSignature | ModelTagSignatureMismatch> =>
  Result.flatMap(recoverSigner("model file tag", digest, tagSignature), (recovered) =>
    recovered.toLowerCase() === expectedSigner.toLowerCase()
      ? Result.succeed(recovered)
      : Result.fail(new ModelTagSignatureMismatch({ expected: expectedSigner, recovered, chunkCount })),
  )

/** Reads and length-checks a Redacted AES key. */
export const aesKeyBytes = (key: Redacted.Redacted<Uint8Array>): Result.Result<Uint8Array, InvalidAesKey> => {
  const raw = Redacted.value(key)
  return raw.length === 32 ? Result.succeed(raw) : Result.fail(new InvalidAesKey({ length: raw.length }))
}

/**
 * Names a GCM failure. A later chunk failing after earlier ones decrypted means the key is right and that chunk
 * was altered. A first-chunk failure is probed against the second chunk: if that one decrypts, chunk 0 was
 * altered; if it also fails (or there is no second chunk), the key is wrong.
 */
export const classifyChunkFailure = <E, R>(
  failedIndex: number,
  chunkCount: number,
  secondChunkDecrypts: Effect.Effect<boolean, E, R>,
): Effect.Effect<never, ModelChunkCorrupted | ModelKeyMismatch | E, R> => {
  if (failedIndex > 0) return Effect.fail(new ModelChunkCorrupted({ chunkIndex: failedIndex, chunkCount }))
  if (chunkCount < 2) return Effect.fail(new ModelKeyMismatch({ chunkCount }))
  return Effect.flatMap(secondChunkDecrypts, (ok) =>
    Effect.fail(ok ? new ModelChunkCorrupted({ chunkIndex: 0, chunkCount }) : new ModelKeyMismatch({ chunkCount })),
  )
}

/**
 * Names a tag-signature mismatch more precisely when the key allows it. If the last chunk (as the length places
 * it) authenticates, the tags sit where they should and the signature is simply someone else's: keep the mismatch.
 * If the last chunk fails while the first authenticates, the key is right and the end of the file is missing or
 * damaged: report truncation. Single-chunk files and wrong keys stay a signature mismatch.
 */
export const diagnoseTagMismatch = <E, R>(
  mismatch: ModelTagSignatureMismatch,
  layout: ModelFileLayout,
  chunkDecrypts: (index: number) => Effect.Effect<boolean, E, R>,
): Effect.Effect<never, ModelTagSignatureMismatch | ModelFileTruncated | E, R> => {
  const n = layout.chunkCount
  if (n < 2) return Effect.fail(mismatch)
  return Effect.flatMap(chunkDecrypts(n - 1), (lastOk) =>
    lastOk
      ? Effect.fail(mismatch)
      : Effect.flatMap(chunkDecrypts(0), (firstOk) =>
          Effect.fail(
            firstOk
              ? new ModelFileTruncated({
                  length: layout.fileLength,
                  reason:
                    "the first chunk authenticates but the last does not: the file is cut short or damaged at its end",
                })
              : mismatch,
          ),
        ),
  )
}

/**
 * The check both decryptors run before any plaintext leaves them: the header's tag signature must be the expected
 * TEE signer's over these tags; a mismatch is named more precisely by {@link diagnoseTagMismatch}.
 */
export const checkTagSignature = <E, R>(
  header: Uint8Array,
  tags: ReadonlyArray<Uint8Array>,
  layout: ModelFileLayout,
  expectedSigner: string,
  chunkDecrypts: (index: number) => Effect.Effect<boolean, E, R>,
): Effect.Effect<
  { readonly signer: string; readonly tagsDigest: string },
  MalformedSignature | ModelTagSignatureMismatch | ModelFileTruncated | E,
  R
> => {
  const tagsDigest = modelTagsDigest(tags)
  return Effect.fromResult(
    verifyModelTagSignature(header.subarray(0, TAG_SIGNATURE_LENGTH), tagsDigest, expectedSigner, layout.chunkCount),
  ).pipe(
    Effect.catchTag("ModelTagSignatureMismatch", (e) => diagnoseTagMismatch(e, layout, chunkDecrypts)),
    Effect.map((signer) => ({ signer, tagsDigest })),
  )
}

/** Validates the iv0 option (default: 12 random bytes). */
const resolveIv0 = (iv0: Uint8Array | undefined): Effect.Effect<Uint8Array, MalformedData> =>
  iv0 === undefined ? Effect.succeed(randomBytes(IV_LENGTH)) : Effect.fromResult(parseBytes("iv0", iv0, IV_LENGTH))

/**
 * One encryption run, shared by the in-memory and file encryptors: key, iv0 and cipher are settled once; `seal` keeps
 * each chunk's tag, and `signature` signs them all for the header once the last chunk is sealed.
 */
export const modelSealer = (options: EncryptModelOptions) =>
  Effect.gen(function* () {
    const key = yield* Effect.fromResult(aesKeyBytes(options.key))
    const iv0 = yield* resolveIv0(options.iv0)
    const cipher = yield* Effect.promise(() => makeAesGcmCipher(key, options.backend))
    const tags: Array<Uint8Array> = []
    return {
      iv0,
      chunkSize: options.chunkSize ?? MODEL_CHUNK_SIZE,
      seal: (index: number, plain: Uint8Array) =>
        Effect.promise(async () => {
          const sealed = await cipher.encrypt(chunkIv(iv0, index), plain)
          tags[index] = sealed.slice(sealed.length - GCM_TAG_LENGTH)
          return sealed
        }),
      signature: () => Effect.fromResult(signModelTags(modelTagsDigest(tags), options.teeKey)),
    }
  })
