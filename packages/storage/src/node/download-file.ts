/**
 * Download to a file: segments are written in place into `<dest>.zgpart` as they verify, a small state file records
 * which are done (resume after interruption), the finished file's root is recomputed on worker threads, and only
 * then is it renamed to `dest`.
 */
import { existsSync } from "node:fs"
import { open, readFile, rename, rm, writeFile } from "node:fs/promises"
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
} from "../errors.js"
import type { HashProgress } from "../merkle/index.js"
import type { StorageRpc } from "../rpc/transport.js"
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

const readState = async (path: string): Promise<PartState | undefined> => {
  try {
    const s = JSON.parse(await readFile(path, "utf8")) as Partial<PartState>
    return typeof s.root === "string" && typeof s.size === "number" && typeof s.done === "string"
      ? (s as PartState)
      : undefined
  } catch {
    return undefined
  }
}

/** Atomic small-file write (tmp + rename). */
const writeAtomic = async (path: string, text: string) => {
  await writeFile(`${path}.tmp`, text)
  await rename(`${path}.tmp`, path)
}

export const downloadToFile = (
  root: string,
  dest: string,
  options: DownloadFileOptions = {},
): Effect.Effect<
  DownloadFileResult,
  | NoNodeHasFile
  | SegmentUnavailable
  | RootMismatch
  | OutputExists
  | FileWriteError
  | EmptyFile
  | SourceReadError
  | StorageAborted,
  StorageRpc | StorageConfig
> =>
  Effect.gen(function* () {
    if (!options.overwrite && existsSync(dest)) return yield* new OutputExists({ path: dest })
    const plan = yield* locateFile(root, options.expectedSize)
    const part = `${dest}.zgpart`
    const statePath = `${part}.json`
    const io = <A>(what: string, f: () => Promise<A>) =>
      Effect.tryPromise({ try: f, catch: (cause) => new FileWriteError({ path: what, cause }) })

    const saved = yield* Effect.promise(() => readState(statePath))
    const resuming = saved?.root === plan.root && saved.size === plan.size && existsSync(part)
    const bits = resuming
      ? decodeBits(saved.done, plan.layout.numSegments)
      : new Uint8Array(Math.ceil(plan.layout.numSegments / 8))
    const isDone = (i: number) => ((bits[i >> 3] as number) & (1 << (i & 7))) !== 0
    let resumedSegments = 0
    for (let i = 0; i < plan.layout.numSegments; i++) if (isDone(i)) resumedSegments++

    const fh = yield* io(part, () => open(part, resuming ? "r+" : "w+"))
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
          write: async (_index, offset, data) => {
            await fh.write(data, 0, data.length, offset)
          },
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
      Effect.ensuring(Effect.promise(() => fh.close())),
      Effect.onExit((exit) => (exit._tag === "Failure" ? Effect.promise(() => pool.close()) : Effect.void)),
    )

    const check = yield* merkleOfFile(part, {
      pool,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    }).pipe(Effect.ensuring(Effect.promise(() => pool.close())))
    if (check.root !== plan.root) {
      yield* Effect.promise(() => Promise.all([rm(part, { force: true }), rm(statePath, { force: true })]))
      return yield* new RootMismatch({ expected: plan.root, actual: check.root })
    }
    yield* io(dest, () => rename(part, dest))
    yield* Effect.promise(() => rm(statePath, { force: true }))
    return { root: plan.root, size: plan.size, path: dest, resumedSegments }
  })
