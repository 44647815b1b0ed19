/**
 * Streaming encrypted-model codec over files, with small fixed memory.
 *
 * Decryption (fine-tuning-protocol.md §7.1, §9.2) runs in this order:
 * 1. The tag signature is checked first, reading only the header and the 16-byte chunk tags (no key needed).
 * 2. Each chunk goes through Node's AES-256-GCM decipher in 4 MiB pieces, with the next piece read while the current
 *    one is decrypted and written, and with the tag the signature covered as its auth tag. Memory stays at two 4 MiB
 *    read buffers plus the pieces in flight, whatever the chunk size. WebCrypto would need each 64 MiB chunk in one
 *    piece and copies it, which costs several hundred MB of RSS. Large files spread whole chunks over worker threads
 *    (decrypt-pool.ts), each running the same piecewise decipher on its own core.
 * 3. Plaintext goes only to a temp file in the output directory. The temp file becomes `outPath` (by rename) only
 *    after every chunk authenticated. Any failure or interruption deletes it and leaves an existing `outPath` untouched.
 */
import { createDecipheriv, type DecipherGCM } from "node:crypto"
import type { FileHandle } from "node:fs/promises"
import { availableParallelism } from "node:os"
import { Effect } from "effect"
import { ModelFileIoError, ModelFileTruncated } from "../errors.js"
import type {
  DecryptModelError,
  DecryptModelOptions,
  EncryptModelError,
  EncryptModelOptions,
  ModelDecryption,
} from "../model-file.js"
import {
  aesKeyBytes,
  checkTagSignature,
  chunkIv,
  classifyChunkFailure,
  GCM_TAG_LENGTH,
  MODEL_HEADER_LENGTH,
  type ModelFileLayout,
  type ModelProgress,
  modelChunkCount,
  modelFileLayout,
  modelFileLength,
  modelSealer,
  TAG_SIGNATURE_LENGTH,
} from "../model-format.js"
import { decryptPool } from "./decrypt-pool.js"
import { io, openScoped, readExactly, readExactlyAsync, withAtomicOutput } from "./fs-effect.js"

export interface ModelFileProgressOption {
  /** Called after each chunk; plaintext byte counts. */
  readonly onProgress?: (progress: ModelProgress) => void
}

/** `backend` is ignored by `decryptModelFile`: it always uses Node's native AES-GCM decipher. */
export type DecryptModelFileOptions = DecryptModelOptions &
  ModelFileProgressOption & {
    /**
     * Worker threads decrypting chunks in parallel. Default: 2 (1 on a single core) once the plaintext reaches
     * 16 MiB, otherwise 1, which decrypts on the calling thread. Never more than the number of chunks.
     */
    readonly threads?: number
  }
export type EncryptModelFileOptions = EncryptModelOptions & ModelFileProgressOption

/** Ciphertext bytes fed to the GCM decipher at a time. */
const PIECE_SIZE = 4 * 1024 * 1024
/** A worker's piece: small enough that read, decrypt and write stay in cache (measured faster than 4 MiB). */
const WORKER_PIECE_SIZE = 1024 * 1024

/** An open encrypted file whose tags were read (and, for the main pass, whose signature was verified). */
interface SealedSource {
  readonly input: FileHandle
  readonly path: string
  readonly layout: ModelFileLayout
  readonly key: Uint8Array
  readonly iv0: Uint8Array
  readonly tags: ReadonlyArray<Uint8Array>
  /** Two read buffers: one is filled ahead while the other is decrypted. */
  readonly buffers: readonly [Uint8Array, Uint8Array]
}

interface PlainSink {
  readonly write: (plain: Uint8Array, position: number) => Promise<unknown>
  /** Called once chunk `index` authenticated and its plaintext is written; `written` counts plaintext bytes. */
  readonly chunkDone: (index: number, written: number) => void
}

interface Piece {
  readonly chunk: number
  readonly at: number
  readonly length: number
  readonly last: boolean
}

/** The ciphertext of chunks `from … to−1` (tags excluded) cut into pieces of at most `size` bytes. */
const piecesOf = (layout: ModelFileLayout, from: number, to: number, size: number): Array<Piece> => {
  const pieces: Array<Piece> = []
  for (let i = from; i < to; i++) {
    const cipherLength = layout.chunkLength(i) - GCM_TAG_LENGTH
    for (let done = 0; done < cipherLength; done += size) {
      const length = Math.min(size, cipherLength - done)
      pieces.push({ chunk: i, at: layout.chunkOffset(i) + done, length, last: done + length === cipherLength })
    }
  }
  return pieces
}

/**
 * Decrypts chunks `from … to−1` piece by piece, with read-ahead, handing plaintext to `sink` (if any; otherwise it is
 * discarded). Resolves with the index of the first chunk that fails authentication, or `undefined` when all pass.
 * Rejects with `ModelFileIoError` / `ModelFileTruncated`.
 */
const decipherChunks = async (
  src: SealedSource,
  from: number,
  to: number,
  sink?: PlainSink,
  stop?: { stopped: boolean },
): Promise<number | undefined> => {
  const pieces = piecesOf(src.layout, from, to, src.buffers[0].length)
  const read = (k: number) => {
    const p = pieces[k]
    return p === undefined
      ? undefined
      : readExactlyAsync(src.input, src.path, src.buffers[k % 2] as Uint8Array, p.length, p.at, src.layout.fileLength)
  }
  let next = read(0)
  let pending: Promise<unknown> = Promise.resolve()
  try {
    let written = 0
    let decipher: DecipherGCM | undefined
    for (let k = 0; k < pieces.length; k++) {
      if (stop?.stopped) throw new ModelFileIoError({ path: src.path, operation: "decrypt", cause: "interrupted" })
      const piece = pieces[k] as Piece
      const data = await (next as Promise<Uint8Array>)
      next = read(k + 1) // into the other buffer, whose piece the decipher consumed in the previous round
      if (decipher === undefined) {
        decipher = createDecipheriv("aes-256-gcm", src.key, chunkIv(src.iv0, piece.chunk), {
          authTagLength: GCM_TAG_LENGTH,
        })
        decipher.setAuthTag(src.tags[piece.chunk] as Uint8Array)
      }
      const plain = decipher.update(data)
      if (sink === undefined) plain.fill(0)
      else {
        await pending
        pending = sink.write(plain, written).then(() => plain.fill(0))
        written += plain.length
      }
      if (piece.last) {
        try {
          decipher.final()
        } catch {
          return piece.chunk
        }
        decipher = undefined
        if (sink !== undefined) {
          await pending
          sink.chunkDone(piece.chunk, written)
        }
      }
    }
    await pending
    return undefined
  } finally {
    await Promise.all([pending.catch(() => undefined), next?.catch(() => undefined)])
  }
}

/**
 * The decipher loop as an Effect whose interruption waits for the loop to stop: the files it reads and writes are
 * closed (and the temp file deleted) only after its last read or write settled, never under an I/O still in flight.
 */
const decipherEffect = (src: SealedSource, from: number, to: number, sink?: PlainSink) =>
  Effect.callback<number | undefined, ModelFileIoError | ModelFileTruncated>((resume) => {
    const stop = { stopped: false }
    const running = decipherChunks(src, from, to, sink, stop)
    running.then(
      (failed) => resume(Effect.succeed(failed)),
      (cause) =>
        resume(
          Effect.fail(
            cause instanceof ModelFileIoError || cause instanceof ModelFileTruncated
              ? cause
              : new ModelFileIoError({ path: src.path, operation: "decrypt", cause }),
          ),
        ),
    )
    return Effect.promise(() => {
      stop.stopped = true
      return running.then(
        () => undefined,
        () => undefined,
      )
    })
  })

/** Below this much plaintext, starting worker threads costs more than it saves. */
const PARALLEL_MIN_BYTES = 16 * 1024 * 1024

/**
 * Two workers: enough for 1 GB/s on a 2-core machine without AES-NI wide units (each core ~0.7 GB/s); every worker
 * adds ~45 MB of RSS (its isolate and the plaintext pieces its GC has not yet collected), so more would cost the
 * flat-memory promise more than it gains.
 */
const defaultThreads = (plainLength: number) =>
  plainLength < PARALLEL_MIN_BYTES ? 1 : Math.min(2, availableParallelism())

type DecryptPool = Effect.Success<ReturnType<typeof decryptPool>>

/** Decrypts every chunk of `src` into `tempPath` on the pool's workers; same result as `decipherEffect`. */
const decryptInWorkers = (
  src: SealedSource,
  pool: DecryptPool,
  out: FileHandle,
  tempPath: string,
  progress: (index: number, written: number) => void,
) =>
  Effect.gen(function* () {
    const { layout } = src
    // Full length up front: the workers then fill in place instead of each extending the file.
    yield* io(tempPath, "truncate", () => out.truncate(layout.plainLength))
    const files = {
      inPath: src.path,
      outPath: tempPath,
      fileLength: layout.fileLength,
      key: src.key,
      pieceSize: Math.min(WORKER_PIECE_SIZE, src.buffers[0].length),
    }
    const jobs = src.tags.map((tag, index) => ({
      index,
      at: layout.chunkOffset(index),
      length: layout.chunkLength(index) - GCM_TAG_LENGTH,
      iv: chunkIv(src.iv0, index),
      tag,
      plainAt: index * layout.chunkSize,
    }))
    const plainEnd = (i: number) => Math.min(layout.plainLength, (i + 1) * layout.chunkSize)
    // Write-behind: flush finished chunks while the workers decrypt the next ones, so the final flush finds little.
    let flushing: Promise<void> | undefined
    let flushFailure: unknown
    const flushBehind = () => {
      flushing ??= out
        .datasync()
        .catch((cause: unknown) => {
          flushFailure ??= cause
        })
        .finally(() => {
          flushing = undefined
        })
    }
    const failed = yield* pool.run(files, jobs, (i) => {
      flushBehind()
      progress(i, plainEnd(i))
    })
    yield* Effect.promise(() => flushing ?? Promise.resolve())
    if (flushFailure !== undefined)
      return yield* new ModelFileIoError({ path: tempPath, operation: "flush", cause: flushFailure })
    return failed
  })

/**
 * Decrypts `inPath` to `outPath`. The tag signature is verified before any plaintext is written. On failure
 * `outPath` is untouched and no temp file remains.
 */
export const decryptModelFile = (
  inPath: string,
  outPath: string,
  options: DecryptModelFileOptions,
): Effect.Effect<ModelDecryption & { readonly plainLength: number }, DecryptModelError | ModelFileIoError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const key = yield* Effect.fromResult(aesKeyBytes(options.key))
      const input = yield* openScoped(inPath, "r", "open")
      const size = (yield* io(inPath, "stat", () => input.stat())).size
      const layout = yield* Effect.fromResult(modelFileLayout(size, options.chunkSize))
      const n = layout.chunkCount
      const read = (buffer: Uint8Array, length: number, position: number) =>
        readExactly(input, inPath, buffer, length, position, size)

      const header = Uint8Array.from(yield* read(new Uint8Array(MODEL_HEADER_LENGTH), MODEL_HEADER_LENGTH, 0))
      const tags: Array<Uint8Array> = []
      for (let i = 0; i < n; i++) {
        const tagAt = layout.chunkOffset(i) + layout.chunkLength(i) - GCM_TAG_LENGTH
        tags.push(Uint8Array.from(yield* read(new Uint8Array(GCM_TAG_LENGTH), GCM_TAG_LENGTH, tagAt)))
      }
      const bufferSize = n === 0 ? 0 : Math.min(PIECE_SIZE, layout.chunkLength(0) - GCM_TAG_LENGTH)
      const src: SealedSource = {
        input,
        path: inPath,
        layout,
        key,
        iv0: header.subarray(TAG_SIGNATURE_LENGTH),
        tags,
        buffers: [new Uint8Array(bufferSize), new Uint8Array(bufferSize)],
      }
      const chunkDecrypts = (i: number) => Effect.map(decipherEffect(src, i, i + 1), (failed) => failed === undefined)
      const threads = Math.min(n, options.threads ?? defaultThreads(layout.plainLength))
      // Started now so that their start-up overlaps the signature check; they get no key or file before it passed.
      const pool = threads > 1 ? yield* decryptPool(threads) : undefined
      // Signature first: nothing is decrypted to disk unless the expected TEE signed these tags.
      const { signer, tagsDigest } = yield* checkTagSignature(
        header,
        tags,
        layout,
        options.expectedSigner,
        chunkDecrypts,
      )

      const progress = (i: number, written: number) =>
        options.onProgress?.({ chunkIndex: i, chunkCount: n, bytesDone: written, bytesTotal: layout.plainLength })
      yield* withAtomicOutput(outPath, (out, tempPath) =>
        Effect.gen(function* () {
          const failed =
            pool !== undefined
              ? yield* decryptInWorkers(src, pool, out, tempPath, progress)
              : yield* decipherEffect(src, 0, n, {
                  write: async (plain, position) => {
                    try {
                      await out.write(plain, 0, plain.length, position)
                    } catch (cause) {
                      throw new ModelFileIoError({ path: tempPath, operation: "write", cause })
                    }
                  },
                  chunkDone: progress,
                })
          if (failed !== undefined) return yield* classifyChunkFailure(failed, n, chunkDecrypts(1))
        }),
      ).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            for (const b of src.buffers) b.fill(0)
          }),
        ),
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
      const { iv0, chunkSize, seal, signature } = yield* modelSealer(options)
      const input = yield* openScoped(inPath, "r", "open")
      const plainLength = (yield* io(inPath, "stat", () => input.stat())).size
      const n = modelChunkCount(plainLength, chunkSize)
      const buffer = new Uint8Array(Math.min(chunkSize, plainLength))

      yield* withAtomicOutput(outPath, (out, tempPath) =>
        Effect.gen(function* () {
          const write = (bytes: Uint8Array, position: number) =>
            io(tempPath, "write", () => out.write(bytes, 0, bytes.length, position))
          yield* write(new Uint8Array(TAG_SIGNATURE_LENGTH), 0) // placeholder: the signature needs every tag first
          yield* write(iv0, TAG_SIGNATURE_LENGTH)
          let position = MODEL_HEADER_LENGTH
          for (let i = 0; i < n; i++) {
            const length = Math.min(chunkSize, plainLength - i * chunkSize)
            const plain = yield* readExactly(input, inPath, buffer, length, i * chunkSize, plainLength)
            const sealed = yield* seal(i, plain)
            yield* write(sealed, position)
            position += sealed.length
            options.onProgress?.({
              chunkIndex: i,
              chunkCount: n,
              bytesDone: i * chunkSize + length,
              bytesTotal: plainLength,
            })
          }
          yield* write(yield* signature(), 0)
        }),
      )
      buffer.fill(0)
      return { fileLength: modelFileLength(plainLength, chunkSize), chunkCount: n }
    }),
  )
