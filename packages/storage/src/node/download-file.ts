/**
 * Download to a file: segments are written in place into `<dest>.zgpart` as they verify, a small state file records
 * which are done (resume after interruption), the finished file's root is recomputed on worker threads, and only
 * then is it moved to `dest`. Every output is opened exclusively and without following links; a destination that is
 * not a regular file (symlink, device, FIFO, directory) is never written or replaced.
 */
import { constants, type Stats } from "node:fs"
import { type FileHandle, lstat, open, rename, rm, unlink } from "node:fs/promises"
import { Effect } from "effect"
import type { StorageConfig } from "../config.js"
import { type DownloadProgress, fetchSegments, locateFile } from "../download.js"
import {
  type EmptyFile,
  FileWriteError,
  type NoNodeHasFile,
  OutputExists,
  RootMismatch,
  type SegmentUnavailable,
  type SourceReadError,
  type StorageAborted,
  UnsafeOutput,
} from "../errors.js"
import type { HashProgress } from "../merkle/index.js"
import type { StorageRpc } from "../rpc/transport.js"
import { claimOutput } from "./claim-output.js"
import { merkleOfFile } from "./file-root.js"
import { HashPool } from "./hash-pool.js"

export interface DownloadFileOptions {
  /** Replace an existing destination (default false: fail with OutputExists). */
  readonly overwrite?: boolean
  /** The file size from the chain, when known. */
  readonly expectedSize?: number
  readonly onProgress?: (p: DownloadProgress | HashProgress) => void
}

export interface DownloadFileResult {
  readonly root: `0x${string}`
  readonly size: number
  readonly path: string
  /** Segments found already downloaded by an earlier, interrupted run. */
  readonly resumedSegments: number
}

interface PartState {
  readonly root: string
  readonly size: number
  /** Base64 bitmap of finished segments. */
  readonly done: string
}

const encodeBits = (bits: Uint8Array) => Buffer.from(bits).toString("base64")
const decodeBits = (text: string, segments: number) => {
  const raw = Buffer.from(text, "base64")
  const bits = new Uint8Array(Math.ceil(segments / 8))
  bits.set(raw.subarray(0, bits.length))
  return bits
}

// O_NOFOLLOW does not exist on Windows; there a link is not silently followed by open either.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0
const CREATE_NEW = constants.O_CREAT | constants.O_EXCL | NOFOLLOW

const lstatOrUndefined = async (path: string): Promise<Stats | undefined> => {
  try {
    return await lstat(path)
  } catch (e) {
    if ((e as { code?: string }).code === "ENOENT") return undefined
    throw e
  }
}

/** Why a path must not be written through or replaced, or undefined for a regular file with one name. */
const unsafeKind = (st: Stats): string | undefined =>
  st.isSymbolicLink()
    ? "it is a symbolic link"
    : st.isDirectory()
      ? "it is a directory"
      : st.isCharacterDevice() || st.isBlockDevice()
        ? "it is a device file"
        : st.isFIFO()
          ? "it is a FIFO"
          : st.isSocket()
            ? "it is a socket"
            : !st.isFile()
              ? "it is not a regular file"
              : st.nlink > 1
                ? "it has other hard links"
                : undefined

const readState = async (path: string): Promise<PartState | undefined> => {
  let fh: FileHandle | undefined
  try {
    fh = await open(path, constants.O_RDONLY | NOFOLLOW)
    const s = JSON.parse(await fh.readFile("utf8")) as Partial<PartState>
    return typeof s.root === "string" && typeof s.size === "number" && typeof s.done === "string"
      ? (s as PartState)
      : undefined
  } catch {
    return undefined
  } finally {
    await fh?.close()
  }
}

/** Atomic small-file write: a fresh exclusive tmp file (never through a planted link), then rename. */
const writeAtomic = async (path: string, text: string) => {
  const tmp = `${path}.tmp`
  await rm(tmp, { force: true })
  const fh = await open(tmp, constants.O_WRONLY | CREATE_NEW, 0o600)
  try {
    await fh.writeFile(text)
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
}

/** Fails unless `dest` is absent, or (with overwrite) a regular file. */
const checkDest = (dest: string, overwrite: boolean) =>
  Effect.gen(function* () {
    const st = yield* Effect.tryPromise({
      try: () => lstatOrUndefined(dest),
      catch: (cause) => new FileWriteError({ path: dest, cause }),
    })
    if (st === undefined) return
    if (!overwrite) return yield* new OutputExists({ path: dest })
    const unsafe = unsafeKind(st)
    if (unsafe !== undefined && !(st.isFile() && st.nlink > 1)) {
      return yield* new UnsafeOutput({ path: dest, reason: `${unsafe}; only a regular file is replaced` })
    }
  })

/** Opens `<dest>.zgpart` without following links: the existing part when resuming, else a new exclusive file. */
const openPart = (part: string, resumable: boolean) =>
  Effect.tryPromise({
    try: async (): Promise<{ fh: FileHandle; resumed: boolean } | UnsafeOutput> => {
      const st = await lstatOrUndefined(part)
      if (st !== undefined) {
        const unsafe = unsafeKind(st)
        if (unsafe !== undefined) return new UnsafeOutput({ path: part, reason: unsafe })
      }
      const resumed = resumable && st !== undefined
      if (!resumed && st !== undefined) await rm(part)
      const fh = await open(part, resumed ? constants.O_RDWR | NOFOLLOW : constants.O_RDWR | CREATE_NEW, 0o600)
      // The name could have been swapped between lstat and open: check what was actually opened.
      const opened = await fh.stat()
      if (!opened.isFile() || opened.nlink > 1) {
        await fh.close()
        return new UnsafeOutput({ path: part, reason: "it changed into something other than a regular file" })
      }
      return { fh, resumed }
    },
    catch: (cause) =>
      (cause as { code?: string }).code === "ELOOP"
        ? new UnsafeOutput({ path: part, reason: "it is a symbolic link" })
        : new FileWriteError({ path: part, cause }),
  }).pipe(Effect.flatMap((r) => (r instanceof UnsafeOutput ? Effect.fail(r) : Effect.succeed(r))))

/**
 * Moves the verified part to `dest`. Without overwrite a hard link claims `dest` atomically (it fails if anything
 * appeared there meanwhile); with overwrite only a regular file is replaced.
 */
const publish = (part: string, dest: string, overwrite: boolean) =>
  Effect.gen(function* () {
    yield* checkDest(dest, overwrite)
    yield* Effect.tryPromise({
      try: async () => {
        if ((await claimOutput(part, dest, overwrite)) === "linked") await unlink(part)
      },
      catch: (cause) => (cause instanceof OutputExists ? cause : new FileWriteError({ path: dest, cause })),
    })
  })

/** Every way a download to a file can fail. */
export type DownloadFileError =
  | NoNodeHasFile
  | SegmentUnavailable
  | RootMismatch
  | OutputExists
  | UnsafeOutput
  | FileWriteError
  | EmptyFile
  | SourceReadError
  | StorageAborted

export const downloadToFile = (
  root: string,
  dest: string,
  options: DownloadFileOptions = {},
): Effect.Effect<DownloadFileResult, DownloadFileError, StorageRpc | StorageConfig> =>
  Effect.gen(function* () {
    const overwrite = options.overwrite === true
    yield* checkDest(dest, overwrite)
    const plan = yield* locateFile(root, options.expectedSize)
    const part = `${dest}.zgpart`
    const statePath = `${part}.json`
    const io = <A>(what: string, f: () => Promise<A>) =>
      Effect.tryPromise({ try: f, catch: (cause) => new FileWriteError({ path: what, cause }) })

    const saved = yield* Effect.promise(() => readState(statePath))
    const opened = yield* openPart(part, saved?.root === plan.root && saved.size === plan.size)
    const { fh } = opened
    const resuming = opened.resumed
    const bits =
      resuming && saved
        ? decodeBits(saved.done, plan.layout.numSegments)
        : new Uint8Array(Math.ceil(plan.layout.numSegments / 8))
    const isDone = (i: number) => ((bits[i >> 3] as number) & (1 << (i & 7))) !== 0
    let resumedSegments = 0
    for (let i = 0; i < plan.layout.numSegments; i++) if (isDone(i)) resumedSegments++

    // A failed write, close or move (full disk, EIO, file size limit) leaves no part or state behind; dest is untouched.
    const discard = Effect.promise(() => Promise.all([rm(part, { force: true }), rm(statePath, { force: true })]))
    return yield* Effect.gen(function* () {
      // Worker threads verify segments while this thread parses and writes, then rehash the finished file.
      const pool = new HashPool()
      yield* Effect.gen(function* () {
        if (!resuming) yield* io(part, () => fh.truncate(plan.size))
        let pending = 0
        let saving = Promise.resolve()
        const every = Math.max(1, Math.ceil(plan.layout.numSegments / 64))
        const persist = () => {
          const text = JSON.stringify({ root: plan.root, size: plan.size, done: encodeBits(bits) } satisfies PartState)
          saving = saving.then(() => writeAtomic(statePath, text))
          return saving
        }
        yield* io(statePath, persist)
        yield* fetchSegments(
          plan,
          {
            // A short write (a file size limit reached mid-buffer) is continued: the rest then fails or lands.
            write: (_index, offset, data) =>
              io(part, async () => {
                for (let at = 0; at < data.length; ) {
                  const { bytesWritten } = await fh.write(data, at, data.length - at, offset + at)
                  if (bytesWritten <= 0) throw new Error(`wrote nothing at offset ${offset + at}`)
                  at += bytesWritten
                }
              }),
          },
          {
            skip: isDone,
            segmentRoot: (data, leaves) => pool.chunkTreeRoot(data, leaves),
            onSegment: (i) => {
              bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7))
              if (++pending >= every) {
                pending = 0
                void persist().catch(() => undefined)
              }
            },
            ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          },
        ).pipe(Effect.ensuring(Effect.promise(() => persist().catch(() => undefined))))
      }).pipe(
        Effect.onError(() =>
          Effect.promise(async () => {
            await fh.close().catch(() => undefined)
            await pool.close()
          }),
        ),
      )
      // Closing flushes: its failure is a failed write too.
      yield* io(part, () => fh.close()).pipe(Effect.onError(() => Effect.promise(() => pool.close())))

      const check = yield* merkleOfFile(part, {
        pool,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }).pipe(Effect.ensuring(Effect.promise(() => pool.close())))
      if (check.root !== plan.root) {
        yield* discard
        return yield* new RootMismatch({ expected: plan.root, actual: check.root })
      }
      yield* publish(part, dest, overwrite)
      yield* Effect.promise(() => rm(statePath, { force: true }))
      return { root: plan.root, size: plan.size, path: dest, resumedSegments }
    }).pipe(Effect.tapError((e) => (e instanceof FileWriteError ? discard : Effect.void)))
  })
