/**
 * Streaming encrypted-model codec over files, with flat memory (one chunk buffer at a time).
 * Decryption checks the tag signature first (reading only the 16-byte tags), then decrypts chunk by chunk into a
 * temp file that becomes `outPath` only after every chunk authenticated. Any failure deletes the temp file.
 */
import { Effect } from "effect"
import { makeAesGcmCipher } from "../aes-gcm.js"
import type { ModelFileIoError } from "../errors.js"
import { ModelChunkCorrupted, type ModelFileTruncated } from "../errors.js"
import type {
  DecryptModelError,
  DecryptModelOptions,
  EncryptModelError,
  EncryptModelOptions,
  ModelDecryption,
} from "../model-file.js"
import { resolveIv0 } from "../model-file.js"
import {
  aesKeyBytes,
  chunkIv,
  classifyChunkFailure,
  diagnoseTagMismatch,
  GCM_TAG_LENGTH,
  MODEL_CHUNK_SIZE,
  MODEL_HEADER_LENGTH,
  type ModelProgress,
  modelChunkCount,
  modelFileLayout,
  modelFileLength,
  modelTagsDigest,
  signModelTags,
  TAG_SIGNATURE_LENGTH,
  verifyModelTagSignature,
} from "../model-format.js"
import { io, openScoped, readExactly, withAtomicOutput } from "./fs-effect.js"

export interface ModelFileProgressOption {
  /** Called after each chunk; plaintext byte counts. */
  readonly onProgress?: (progress: ModelProgress) => void
}

export type DecryptModelFileOptions = DecryptModelOptions & ModelFileProgressOption
export type EncryptModelFileOptions = EncryptModelOptions & ModelFileProgressOption

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

/** Decrypts `inPath` to `outPath`. On failure `outPath` is untouched and no temp file remains. */
export const decryptModelFile = (
  inPath: string,
  outPath: string,
  options: DecryptModelFileOptions,
): Effect.Effect<ModelDecryption & { readonly plainLength: number }, DecryptModelError | ModelFileIoError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const key = yield* aesKeyBytes(options.key)
      const input = yield* openScoped(inPath, "r", "open")
      const size = (yield* io(inPath, "stat", () => input.stat())).size
      const layout = yield* modelFileLayout(size, options.chunkSize ?? MODEL_CHUNK_SIZE)
      const n = layout.chunkCount
      const read = (buffer: Uint8Array, length: number, position: number) =>
        readExactly(input, inPath, buffer, length, position, size)

      const header = Uint8Array.from(yield* read(new Uint8Array(MODEL_HEADER_LENGTH), MODEL_HEADER_LENGTH, 0))
      const tags: Array<Uint8Array> = []
      for (let i = 0; i < n; i++) {
        const tagAt = layout.chunkOffset(i) + layout.chunkLength(i) - GCM_TAG_LENGTH
        tags.push(Uint8Array.from(yield* read(new Uint8Array(GCM_TAG_LENGTH), GCM_TAG_LENGTH, tagAt)))
      }
      const tagsDigest = modelTagsDigest(tags)
      const iv0 = header.subarray(TAG_SIGNATURE_LENGTH)
      const cipher = yield* Effect.promise(() => makeAesGcmCipher(key, options.backend))
      const buffer = new Uint8Array(n === 0 ? 0 : layout.chunkLength(0))
      const readChunk = (i: number) => read(buffer, layout.chunkLength(i), layout.chunkOffset(i))
      const chunkDecrypts = (i: number) =>
        Effect.flatMap(readChunk(i), (sealed) =>
          Effect.promise(async () => (await cipher.decrypt(chunkIv(iv0, i), sealed)) !== undefined),
        )
      // Signature first: nothing is decrypted to disk unless the expected TEE signed these tags.
      const signer = yield* verifyModelTagSignature(
        header.subarray(0, TAG_SIGNATURE_LENGTH),
        tagsDigest,
        options.expectedSigner,
        n,
      ).pipe(Effect.catchTag("ModelTagSignatureMismatch", (e) => diagnoseTagMismatch(e, layout, chunkDecrypts)))

      yield* withAtomicOutput(outPath, (out, tempPath) =>
        Effect.gen(function* () {
          let written = 0
          for (let i = 0; i < n; i++) {
            const sealed = yield* readChunk(i)
            // The tags were checked in a separate pass: insist the bytes did not change in between.
            if (!equalBytes(sealed.subarray(-GCM_TAG_LENGTH), tags[i] ?? new Uint8Array())) {
              return yield* new ModelChunkCorrupted({ chunkIndex: i, chunkCount: n })
            }
            const plain = yield* Effect.promise(() => cipher.decrypt(chunkIv(iv0, i), sealed))
            if (plain === undefined) return yield* classifyChunkFailure(i, n, chunkDecrypts(1))
            yield* io(tempPath, "write", () => out.write(plain, 0, plain.length, written))
            written += plain.length
            plain.fill(0)
            options.onProgress?.({ chunkIndex: i, chunkCount: n, bytesDone: written, bytesTotal: layout.plainLength })
          }
        }),
      )
      return { signer, chunkCount: n, tagsDigest, plainLength: layout.plainLength }
    }),
  )

/** Encrypts `inPath` (the model zip) into the provider format at `outPath`; atomic like decryption. */
export const encryptModelFile = (
  inPath: string,
  outPath: string,
  options: EncryptModelFileOptions,
): Effect.Effect<
  { readonly fileLength: number; readonly chunkCount: number },
  EncryptModelError | ModelFileIoError | ModelFileTruncated
> =>
  Effect.scoped(
    Effect.gen(function* () {
      const key = yield* aesKeyBytes(options.key)
      const iv0 = yield* resolveIv0(options.iv0)
      const chunkSize = options.chunkSize ?? MODEL_CHUNK_SIZE
      const input = yield* openScoped(inPath, "r", "open")
      const plainLength = (yield* io(inPath, "stat", () => input.stat())).size
      const n = modelChunkCount(plainLength, chunkSize)
      const cipher = yield* Effect.promise(() => makeAesGcmCipher(key, options.backend))
      const buffer = new Uint8Array(Math.min(chunkSize, plainLength))

      yield* withAtomicOutput(outPath, (out, tempPath) =>
        Effect.gen(function* () {
          const write = (bytes: Uint8Array, position: number) =>
            io(tempPath, "write", () => out.write(bytes, 0, bytes.length, position))
          yield* write(new Uint8Array(TAG_SIGNATURE_LENGTH), 0) // placeholder: the signature needs every tag first
          yield* write(iv0, TAG_SIGNATURE_LENGTH)
          const tags: Array<Uint8Array> = []
          let position = MODEL_HEADER_LENGTH
          for (let i = 0; i < n; i++) {
            const length = Math.min(chunkSize, plainLength - i * chunkSize)
            const plain = yield* readExactly(input, inPath, buffer, length, i * chunkSize, plainLength)
            const sealed = yield* Effect.promise(() => cipher.encrypt(chunkIv(iv0, i), plain))
            yield* write(sealed, position)
            position += sealed.length
            tags.push(sealed.slice(-GCM_TAG_LENGTH))
            options.onProgress?.({
              chunkIndex: i,
              chunkCount: n,
              bytesDone: i * chunkSize + length,
              bytesTotal: plainLength,
            })
          }
          yield* write(yield* signModelTags(modelTagsDigest(tags), options.teeKey), 0)
        }),
      )
      buffer.fill(0)
      return { fileLength: modelFileLength(plainLength, chunkSize), chunkCount: n }
    }),
  )
