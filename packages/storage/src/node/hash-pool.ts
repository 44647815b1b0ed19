/**
 * A pool of worker threads hashing full segments of a file, so every core works on one root. Batches are handed out
 * dynamically (two in flight per worker) and their roots land in one array in file order.
 */
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import { HASH_SIZE } from "../constants.js"

const BATCH_SEGMENTS = 16

interface Reply {
  readonly id: number
  readonly roots?: Uint8Array
  readonly data?: Uint8Array
  readonly error?: string
}

interface Pending {
  readonly resolve: (reply: Reply) => void
  readonly reject: (e: Error) => void
}

class HashWorker {
  private readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private failure: Error | undefined

  constructor() {
    this.worker = new Worker(new URL("./hash-worker.mjs", import.meta.url))
    this.worker.unref()
    this.worker.on("message", (m: Reply) => {
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      if (this.pending.size === 0) this.worker.unref()
      if (m.roots) p.resolve(m)
      else p.reject(new Error(m.error ?? "hash worker failed"))
    })
    const fail = (e: Error) => {
      this.failure = e
      for (const p of this.pending.values()) p.reject(e)
      this.pending.clear()
    }
    this.worker.on("error", fail)
    this.worker.on("exit", (code) => fail(new Error(`hash worker exited with code ${code}`)))
  }

  get inFlight(): number {
    return this.pending.size
  }

  private request(message: Record<string, unknown>, transfer: ReadonlyArray<ArrayBuffer> = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref()
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ ...message, id }, [...transfer])
    })
  }

  hash(path: string, first: number, count: number): Promise<Uint8Array> {
    return this.request({ path, first, count }).then((r) => r.roots as Uint8Array)
  }

  tree(data: Uint8Array<ArrayBuffer>, leaves: number): Promise<{ root: Uint8Array; data: Uint8Array }> {
    return this.request({ type: "tree", data, leaves }, [data.buffer]).then((r) => ({
      root: r.roots as Uint8Array,
      data: r.data as Uint8Array,
    }))
  }

  closeFile(): void {
    if (!this.failure) this.worker.postMessage({ type: "close" })
  }

  terminate(): Promise<number> {
    this.failure ??= new Error("hash pool closed")
    return this.worker.terminate()
  }
}

export class HashPool {
  private readonly workers: HashWorker[]

  constructor(threads: number = Math.max(1, Math.min(4, availableParallelism()))) {
    this.workers = Array.from({ length: Math.max(1, threads) }, () => new HashWorker())
  }

  get size(): number {
    return this.workers.length
  }

  /**
   * Roots of the full segments `[0, count)` of the file at `path` (count × 32 bytes, in order).
   * `onSegments(n)` reports each finished batch; `isAborted` is polled between batches.
   */
  async segmentRoots(
    path: string,
    count: number,
    onSegments: (n: number) => void = () => {},
    isAborted: () => boolean = () => false,
  ): Promise<Uint8Array> {
    const out = new Uint8Array(count * HASH_SIZE)
    let next = 0
    let failed: Error | undefined
    const drive = async (w: HashWorker): Promise<void> => {
      while (next < count && !failed) {
        if (isAborted()) throw new Error("aborted")
        const first = next
        const n = Math.min(BATCH_SEGMENTS, count - first)
        next += n
        const roots = await w.hash(path, first, n)
        out.set(roots, first * HASH_SIZE)
        onSegments(n)
      }
    }
    // Two drivers per worker keep one batch queued behind the one being hashed.
    const drivers = this.workers.flatMap((w) => [drive(w), drive(w)])
    try {
      await Promise.all(
        drivers.map((d) =>
          d.catch((e: Error) => {
            failed ??= e
          }),
        ),
      )
      if (failed) throw failed
      return out
    } finally {
      for (const w of this.workers) w.closeFile()
    }
  }

  /**
   * Root of the promote-odd tree over `data`'s chunks extended with zero chunks to `leaves` (≤ 1024), computed on
   * the least busy worker. `data` is moved to the worker and handed back with the result.
   */
  chunkTreeRoot(data: Uint8Array, leaves: number): Promise<{ root: Uint8Array; data: Uint8Array }> {
    const own: Uint8Array<ArrayBuffer> =
      data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer
        ? (data as Uint8Array<ArrayBuffer>)
        : data.slice()
    const w = this.workers.reduce((a, b) => (b.inFlight < a.inFlight ? b : a))
    return w.tree(own, leaves)
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
