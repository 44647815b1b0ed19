/**
 * The pending-intent journal as one JSON file (mode 0600), rewritten atomically (temp file + rename) on every change,
 * so a crash leaves either the old or the new list, never half of one. Re-read before each change, so two engines
 * (or two CLI runs one after the other) see each other's entries.
 */
import { randomBytes } from "node:crypto"
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises"
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

/** A journal stored at `path` (created on first write, with its directory at 0700). */
export const fileTxJournal = (path: string): TxJournalShape => {
  const read = Effect.tryPromise({
    try: async (): Promise<ReadonlyArray<JournalEntry>> => {
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
    },
    catch: (cause) => journalError(path, cause),
  })

  const write = (entries: ReadonlyArray<JournalEntry>) =>
    Effect.tryPromise({
      try: async () => {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 })
        const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`
        try {
          await writeFile(tmp, `${JSON.stringify({ version: 1, entries } satisfies JournalFile, null, 1)}\n`, {
            mode: 0o600,
            flag: "wx",
          })
          await rename(tmp, path)
        } catch (e) {
          await rm(tmp, { force: true })
          throw e
        }
      },
      catch: (cause) => journalError(path, cause),
    })

  const lock = lockFor(path)
  return {
    location: path,
    entries: read,
    put: (entry) => Effect.flatMap(read, (entries) => write(upsert(entries, entry))).pipe(Semaphore.withPermit(lock)),
  }
}

/** `TxJournal` backed by `fileTxJournal(path)`. */
export const fileTxJournalLayer = (path: string) => Layer.succeed(TxJournal, TxJournal.of(fileTxJournal(path)))
