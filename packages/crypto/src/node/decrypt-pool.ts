/**
 * Worker threads that decrypt the chunks of one encrypted model file in parallel. Chunks are independent AES-GCM
 * messages (own IV, own tag: fine-tuning-protocol.md §7.1), so each worker takes whole chunks, reads their ciphertext
 * and writes their plaintext at its place in the output temp file. One core's AES-GCM is well under 1 GB/s on small
 * machines; two or more cores reach it. The main thread only hands out chunks (one at a time per worker, in file
 * order) and reports progress in file order.
 */
import { Worker } from "node:worker_threads"
import { Effect } from "effect"
import { ModelFileIoError, ModelFileTruncated } from "../errors.js"

/** One chunk's work: ciphertext `at … at+length` (tag excluded), plaintext written from `plainAt`. */
export interface ChunkJob {
  readonly index: number
  readonly at: number
  readonly length: number
  readonly iv: Uint8Array
  readonly tag: Uint8Array
  readonly plainAt: number
}

export interface PoolFiles {
  readonly inPath: string
  readonly outPath: string
  readonly fileLength: number
  readonly key: Uint8Array
  readonly pieceSize: number
}

type Reply =
  | { readonly type: "done"; readonly index: number; readonly ok: boolean }
  | { readonly type: "shut" }
  | {
      readonly type: "error"
      readonly index?: number
      readonly path: string
      readonly operation: string
      readonly message: string
      readonly code?: string
      readonly eof: boolean
    }

interface PoolWorker {
  readonly worker: Worker
  readonly exited: Promise<void>
  busy: boolean
  alive: boolean
  /** Why the thread died, if it did (an uncaught error, or its module failed to load). */
  failure?: Error
}

type Failure = ModelFileIoError | ModelFileTruncated

const failureOf = (r: Extract<Reply, { type: "error" }>, fileLength: number): Failure => {
  if (r.eof) return new ModelFileTruncated({ length: fileLength, reason: r.message })
  const cause = Object.assign(new Error(r.message), r.code === undefined ? {} : { code: r.code })
  return new ModelFileIoError({ path: r.path, operation: r.operation, cause })
}

const spawn = (): PoolWorker => {
  // Plain JS with node builtins only: no need for the parent's loaders (tsx, instrumentation) in the worker.
  const worker = new Worker(new URL("./decrypt-worker.mjs", import.meta.url), { execArgv: [] })
  const w: PoolWorker = {
    worker,
    exited: new Promise((resolve) => worker.once("exit", () => resolve())),
    busy: false,
    alive: true,
  }
  void w.exited.then(() => {
    w.alive = false
  })
  worker.on("error", (e) => {
    w.failure ??= e
  })
  return w
}

/**
 * Starts `threads` workers for the surrounding Scope — early, so their start-up overlaps the caller's other work
 * (the tag signature check). Closing the scope lets every worker finish its current chunk and exit.
 */
export const decryptPool = (threads: number) =>
  Effect.acquireRelease(
    Effect.sync(() => Array.from({ length: threads }, spawn)),
    (workers) =>
      Effect.promise(() => {
        for (const w of workers) if (w.alive) w.worker.postMessage({ type: "close" })
        return Promise.all(workers.map((w) => w.exited))
      }),
  ).pipe(
    Effect.map((workers) => ({
      /**
       * Decrypts `jobs` from `files.inPath` into `files.outPath`; see {@link runJobs}. Every worker has closed both
       * files and zeroed its key copy when this completes. Typed failures: `ModelFileIoError`, `ModelFileTruncated`.
       */
      run: (files: PoolFiles, jobs: ReadonlyArray<ChunkJob>, onChunk: (index: number) => void) =>
        Effect.tryPromise({
          try: (signal) => runJobs(workers, files, jobs, onChunk, signal),
          catch: (cause): Failure =>
            cause instanceof ModelFileIoError || cause instanceof ModelFileTruncated
              ? cause
              : new ModelFileIoError({ path: files.outPath, operation: "decrypt", cause }),
        }),
    })),
  )

/**
 * Opens the files in every worker and decrypts `jobs`. Resolves with the lowest chunk index that failed
 * authentication (no further chunks are handed out after one fails), or `undefined` when all passed; `onChunk(i)`
 * runs once chunks `0 … i` are all written and authenticated. Rejects with the first I/O failure, a worker's death or
 * the signal's abort. Either way only after the chunks in flight finished and every worker shut its files.
 */
const runJobs = (
  workers: ReadonlyArray<PoolWorker>,
  files: PoolFiles,
  jobs: ReadonlyArray<ChunkJob>,
  onChunk: (index: number) => void,
  signal: AbortSignal,
): Promise<number | undefined> =>
  new Promise((resolve, reject) => {
    let next = 0
    let failed: number | undefined
    let error: unknown
    /** Workers asked to shut their files that have not confirmed (or died) yet; `undefined` before shutting. */
    let shutting: Set<PoolWorker> | undefined
    const passed = new Set<number>()
    let watermark = 0
    const stopped = () => failed !== undefined || error !== undefined
    const settle = () => {
      for (const w of workers) w.worker.removeAllListeners("message")
      signal.removeEventListener("abort", onAbort)
      if (error !== undefined) reject(error)
      else resolve(failed)
    }
    const finishIfIdle = () => {
      if (shutting !== undefined) {
        if (shutting.size === 0) settle()
        return
      }
      if (workers.some((w) => w.busy) || (!stopped() && next < jobs.length)) return
      shutting = new Set(workers.filter((w) => w.alive))
      for (const w of shutting) w.worker.postMessage({ type: "shut" })
      finishIfIdle()
    }
    const give = (w: PoolWorker) => {
      const job = jobs[next]
      if (stopped() || job === undefined || !w.alive) return
      next++
      w.busy = true
      w.worker.postMessage({ type: "chunk", ...job })
    }
    const onAbort = () => {
      error ??= signal.reason
      finishIfIdle()
    }
    for (const w of workers) {
      w.worker.on("message", (r: Reply) => {
        if (r.type === "shut") shutting?.delete(w)
        else {
          if (r.index !== undefined) w.busy = false
          if (r.type === "error") error ??= failureOf(r, files.fileLength)
          else if (!r.ok) failed = Math.min(failed ?? r.index, r.index)
          else {
            passed.add(r.index)
            try {
              while (passed.has(watermark) && (failed === undefined || watermark < failed)) onChunk(watermark++)
            } catch (cause) {
              error ??= cause
            }
          }
          give(w)
        }
        finishIfIdle()
      })
      void w.exited.then(() => {
        w.busy = false
        shutting?.delete(w)
        const cause = w.failure ?? new Error("decrypt worker exited")
        error ??= new ModelFileIoError({ path: files.inPath, operation: "decrypt", cause })
        finishIfIdle()
      })
    }
    signal.addEventListener("abort", onAbort, { once: true })
    for (const w of workers) if (w.alive) w.worker.postMessage({ type: "open", ...files })
    for (const w of workers) give(w)
    finishIfIdle()
  })
