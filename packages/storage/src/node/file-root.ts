/** Root of a file on disk: full segments hashed by worker threads, the tail and the tree on the main thread. */
import { open, stat } from "node:fs/promises"
import { Effect } from "effect"
import { SEGMENT_SIZE } from "../constants.js"
import { type EmptyFile, SourceReadError, StorageAborted } from "../errors.js"
import { type FileMerkle, finishBuilder, type HashProgress, loadKeccak, MerkleBuilder } from "../merkle/index.js"
import { HashPool } from "./hash-pool.js"

export interface FileHashOptions {
  readonly onProgress?: (p: HashProgress) => void
  readonly signal?: AbortSignal
  /** Reuse a pool across calls; by default one is started and closed per call. */
  readonly pool?: HashPool
  /** Worker threads when no pool is given (default: up to 4, one per core). */
  readonly threads?: number
}

/** Below this size the workers' start-up costs more than it saves. */
const WORKER_THRESHOLD = 8 * SEGMENT_SIZE

const readTail = async (path: string, offset: number, length: number): Promise<Uint8Array> => {
  const fh = await open(path, "r")
  try {
    const buf = new Uint8Array(length)
    let got = 0
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got)
      if (bytesRead === 0) throw new Error("file shrank while hashing")
      got += bytesRead
    }
    return buf
  } finally {
    await fh.close()
  }
}

const readSequential = async (path: string, builder: MerkleBuilder, progress: () => void, aborted: () => boolean) => {
  const fh = await open(path, "r")
  try {
    const buf = new Uint8Array(4 * 1024 * 1024)
    for (;;) {
      if (aborted()) throw new StorageAborted({ what: `hashing ${path}` })
      const { bytesRead } = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) return
      builder.update(buf.subarray(0, bytesRead))
      progress()
    }
  } finally {
    await fh.close()
  }
}

/** Root, submission nodes and segment roots of the file at `path`, using worker threads for large files. */
export const merkleOfFile = (
  path: string,
  options: FileHashOptions = {},
): Effect.Effect<FileMerkle, EmptyFile | SourceReadError | StorageAborted> =>
  Effect.gen(function* () {
    const what = `file ${path}`
    const keccak = yield* Effect.promise(loadKeccak)
    const builder = new MerkleBuilder(keccak)
    const aborted = () => options.signal?.aborted === true
    yield* Effect.tryPromise({
      try: async () => {
        const { size } = await stat(path)
        const report = (bytes: number) => options.onProgress?.({ phase: "hash", bytes, totalBytes: size })
        const fullSegments = Math.floor(size / SEGMENT_SIZE)
        if (size < WORKER_THRESHOLD) {
          await readSequential(path, builder, () => report(builder.size), aborted)
          return
        }
        const pool = options.pool ?? new HashPool(options.threads)
        let done = 0
        try {
          const roots = await pool.segmentRoots(
            path,
            fullSegments,
            (n) => {
              done += n
              report(done * SEGMENT_SIZE)
            },
            aborted,
          )
          for (let i = 0; i < fullSegments; i++) builder.pushSegmentRoot(roots.slice(i * 32, i * 32 + 32))
        } finally {
          if (!options.pool) await pool.close()
        }
        if (aborted()) throw new StorageAborted({ what })
        const tail = size - fullSegments * SEGMENT_SIZE
        if (tail > 0) builder.update(await readTail(path, fullSegments * SEGMENT_SIZE, tail))
        report(size)
      },
      catch: (cause) =>
        cause instanceof StorageAborted
          ? cause
          : aborted()
            ? new StorageAborted({ what })
            : new SourceReadError({ what, cause }),
    })
    return yield* finishBuilder(builder, what)
  })
