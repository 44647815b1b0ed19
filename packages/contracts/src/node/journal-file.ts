/**
 * The pending-intent journal as one JSON file (mode 0600), rewritten atomically (temp file fsynced, rename, directory
 * fsynced) on every change, so a crash leaves either the old or the new list, never half of one. Each change is a
 * read-modify-write under a lock file (`<path>.lock`, created exclusively, holding the owner's pid), so two processes
 * sharing the file (the CLI's `serve` top-up and a `ledger deposit`, parallel scripts) never drop each other's entries.
 */
import { randomBytes } from "node:crypto"
import { mkdir, open, readFile, rename, rm, stat, unlink } from "node:fs/promises"
import { dirname } from "node:path"
import { Effect, Layer, Semaphore } from "effect"
import { type JournalEntry, journalError, TxJournal, type TxJournalShape, upsert } from "../journal.js"

interface JournalFile {
  readonly version: 1
  readonly entries: ReadonlyArray<JournalEntry>
}

const isEntry = (e: unknown): e is JournalEntry => {
  const o = e as Partial<JournalEntry> | null
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.id === "string" &&
    typeof o.intent === "string" &&
    typeof o.from === "string" &&
    typeof o.nonce === "number" &&
    Array.isArray(o.hashes) &&
    Array.isArray(o.raws)
  )
}

// One lock per path in this process: two engines on the same file must not interleave read-modify-write.
const locks = new Map<string, Semaphore.Semaphore>()
const lockFor = (path: string) => {
  let lock = locks.get(path)
  if (!lock) {
    lock = Semaphore.makeUnsafe(1)
    locks.set(path, lock)
  }
  return lock
}

/** How long a put waits for another process's lock before failing, and after which a lock counts as abandoned. */
const LOCK_WAIT_MS = 10_000
const LOCK_STALE_MS = 30_000

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM" // exists, owned by someone else
  }
}

/** Holds `<path>.lock` (O_EXCL) while `f` runs; a lock whose holder is gone or that is too old is taken over. */
const withFileLock = async <A>(path: string, f: () => Promise<A>): Promise<A> => {
  const lockPath = `${path}.lock`
  const token = `${process.pid} ${randomBytes(6).toString("hex")}`
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      const fd = await open(lockPath, "wx", 0o600)
      try {
        await fd.writeFile(token)
      } finally {
        await fd.close()
      }
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
    }
    const held = await readFile(lockPath, "utf8").catch(() => "")
    const pid = Number(held.split(" ")[0])
    const age = await stat(lockPath).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    )
    // A dead holder (same host) or a lock older than any put takes is abandoned (an empty one is being written now).
    const abandoned = (held !== "" && Number.isInteger(pid) && pid > 0 && !alive(pid)) || age > LOCK_STALE_MS
    if (abandoned && (await readFile(lockPath, "utf8").catch(() => "")) === held) {
      await unlink(lockPath).catch(() => undefined)
      continue
    }
    if (Date.now() > deadline) {
      throw new Error(`locked by process ${pid || "?"} (${lockPath}); retry, or remove the lock if no 0G process runs`)
    }
    await sleep(5 + Math.floor(Math.random() * 20))
  }
  try {
    return await f()
  } finally {
    // Only our own lock is removed (a taken-over one belongs to someone else now).
    if ((await readFile(lockPath, "utf8").catch(() => "")) === token) await unlink(lockPath).catch(() => undefined)
  }
}

/** A journal stored at `path` (created on first write, with its directory at 0700). */
export const fileTxJournal = (path: string): TxJournalShape => {
  const readNow = async (): Promise<ReadonlyArray<JournalEntry>> => {
    let text: string
    try {
      text = await readFile(path, "utf8")
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return []
      throw e
    }
    const doc = JSON.parse(text) as Partial<JournalFile>
    if (doc.version !== 1 || !Array.isArray(doc.entries) || !doc.entries.every(isEntry)) {
      throw new Error("not a transaction journal (version 1); move it aside to start a new one")
    }
    return doc.entries
  }
  const read = Effect.tryPromise({ try: readNow, catch: (cause) => journalError(path, cause) })

  const writeNow = async (entries: ReadonlyArray<JournalEntry>) => {
    const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`
    try {
      const fd = await open(tmp, "wx", 0o600)
      try {
        await fd.writeFile(`${JSON.stringify({ version: 1, entries } satisfies JournalFile, null, 1)}\n`)
        await fd.sync()
      } finally {
        await fd.close()
      }
      await rename(tmp, path)
    } catch (e) {
      await rm(tmp, { force: true })
      throw e
    }
    // The rename itself is durable only once the directory is synced (not possible on every platform).
    const dir = await open(dirname(path), "r").catch(() => undefined)
    if (dir !== undefined)
      await dir
        .sync()
        .catch(() => undefined)
        .finally(() => dir.close())
  }

  const lock = lockFor(path)
  return {
    location: path,
    entries: read,
    put: (entry) =>
      Effect.tryPromise({
        try: async () => {
          await mkdir(dirname(path), { recursive: true, mode: 0o700 })
          await withFileLock(path, async () => writeNow(upsert(await readNow(), entry)))
        },
        catch: (cause) => journalError(path, cause),
      }).pipe(Semaphore.withPermit(lock)),
  }
}

/** `TxJournal` backed by `fileTxJournal(path)`. */
export const fileTxJournalLayer = (path: string) => Layer.succeed(TxJournal, TxJournal.of(fileTxJournal(path)))
