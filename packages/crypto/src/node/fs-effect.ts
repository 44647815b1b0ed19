/**
 * Small Effect wrappers over node:fs/promises for the streaming model codec: typed IO errors, exact reads, and an
 * atomic output (temp file in the target directory, renamed on success, deleted on any failure or interruption).
 */
import type { FileHandle } from "node:fs/promises"
import { lstat, open, rename, unlink } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { bytesToHex, randomBytes } from "@noble/hashes/utils.js"
import { Effect, Exit } from "effect"
import { ModelFileIoError, ModelFileTruncated } from "../errors.js"

export const io = <A>(path: string, operation: string, f: () => Promise<A>): Effect.Effect<A, ModelFileIoError> =>
  Effect.tryPromise({ try: f, catch: (cause) => new ModelFileIoError({ path, operation, cause }) })

/** Opens a file for the duration of the surrounding Scope. */
export const openScoped = (path: string, flags: string, operation: string) =>
  Effect.acquireRelease(
    io(path, operation, () => open(path, flags)),
    (fh) => Effect.promise(() => fh.close().catch(() => undefined)),
  )

/**
 * Reads exactly `length` bytes at `position` into `buffer` and resolves with that view. A short read means the file
 * shrank underneath us: rejects with `ModelFileTruncated`; other failures reject with `ModelFileIoError`.
 */
export const readExactlyAsync = async (
  fh: FileHandle,
  path: string,
  buffer: Uint8Array,
  length: number,
  position: number,
  fileLength: number,
): Promise<Uint8Array> => {
  let done = 0
  while (done < length) {
    let bytesRead: number
    try {
      bytesRead = (await fh.read(buffer, done, length - done, position + done)).bytesRead
    } catch (cause) {
      throw new ModelFileIoError({ path, operation: "read", cause })
    }
    if (bytesRead === 0) {
      throw new ModelFileTruncated({
        length: fileLength,
        reason: `file ended at byte ${position + done} while reading`,
      })
    }
    done += bytesRead
  }
  return buffer.subarray(0, length)
}

/** `readExactlyAsync` as an Effect with typed errors. */
export const readExactly = (
  ...args: Parameters<typeof readExactlyAsync>
): Effect.Effect<Uint8Array, ModelFileIoError | ModelFileTruncated> =>
  Effect.tryPromise({
    try: () => readExactlyAsync(...args),
    catch: (cause) =>
      cause instanceof ModelFileIoError || cause instanceof ModelFileTruncated
        ? cause
        : new ModelFileIoError({ path: args[1], operation: "read", cause }),
  })

/** An existing output may only be a regular file: never a device, FIFO, directory or link to replace. */
const refuseNonRegular = async (path: string) => {
  const existing = await lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined
    throw e
  })
  if (existing !== undefined && !existing.isFile()) throw new Error(`${path} exists and is not a regular file`)
}

/**
 * Runs `write` against a fresh temp file next to `outPath` (same directory → same file system → atomic rename).
 * On success the temp file is flushed, closed and renamed to `outPath`; on failure or interruption it is closed
 * and deleted, so no partial output (for decryption: no unverified plaintext) is left behind.
 */
export const withAtomicOutput = <A, E, R>(
  outPath: string,
  write: (fh: FileHandle, tempPath: string) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E | ModelFileIoError, R> =>
  Effect.gen(function* () {
    const tempPath = join(dirname(outPath), `.${basename(outPath)}.${bytesToHex(randomBytes(6))}.partial`)
    const fh = yield* io(tempPath, "create", () => open(tempPath, "wx", 0o600))
    let closed = false
    const close = io(tempPath, "close", () => {
      closed = true
      return fh.close()
    })
    return yield* write(fh, tempPath).pipe(
      Effect.tap(() => io(tempPath, "flush", () => fh.sync())),
      Effect.tap(() => close),
      Effect.tap(() => io(outPath, "replace", () => refuseNonRegular(outPath))),
      Effect.tap(() => io(outPath, "rename into", () => rename(tempPath, outPath))),
      Effect.onExit((exit) =>
        Exit.isSuccess(exit)
          ? Effect.void
          : Effect.promise(async () => {
              if (!closed) await fh.close().catch(() => undefined)
              await unlink(tempPath).catch(() => undefined)
            }),
      ),
    )
  })
