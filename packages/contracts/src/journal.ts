/**
 * The pending-intent journal: every signed transaction is recorded before it is broadcast, and marked once its
 * outcome is known. A re-run of the same operation after a crash, hang-up or timeout finds the unresolved entry and
 * settles it instead of paying again. In memory by default; `fileTxJournal` (the `./node` entry) survives restarts.
 */
import { Context, Effect, Semaphore } from "effect"
import { TxJournalError } from "./tx/errors.js"

/** How an intent ended. `void`: rejected, or its nonce was used by another transaction, so it can never be mined. */
export type JournalOutcome = "mined" | "reverted" | "cancelled" | "void"

export interface JournalEntry {
  /** The hash of the first signed transaction of this intent at this nonce. */
  readonly id: string
  /** What the operation is, e.g. "ledger.deposit:0xabc…:1000000000000000000". */
  readonly intent: string
  readonly chainId: string
  /** Hash of block 0: tells two chains with one chain id apart (a restarted devnet), so entries never cross. */
  readonly genesis?: string
  readonly from: string
  readonly to: string
  readonly nonce: number
  /** Native value, neuron as a decimal string. */
  readonly value: string
  /** keccak256 of the calldata. */
  readonly dataDigest: string
  readonly contract?: string
  /** Every transaction signed for this intent at this nonce: the original, then same-nonce replacements. */
  readonly hashes: ReadonlyArray<string>
  /** Signed bytes per hash ("" when the signer broadcast itself and never showed them). Public once broadcast. */
  readonly raws: ReadonlyArray<string>
  /** Which of `hashes` is a cancellation (a zero-value self-transfer), if any. */
  readonly cancelHash?: string
  readonly createdAt: string
  /**
   * The head block when recorded, for an entry whose wallet broadcast without reporting a hash (`hashes` empty, id
   * `nonce:<from>:<nonce>`): the transaction at its nonce is looked for from there.
   */
  readonly sinceBlock?: number
  readonly resolved?: { readonly outcome: JournalOutcome; readonly hash?: string; readonly at: string }
}

export interface TxJournalShape {
  /** Where the entries live, for messages ("memory" or a path). */
  readonly location: string
  readonly entries: Effect.Effect<ReadonlyArray<JournalEntry>, TxJournalError>
  /** Inserts or replaces the entry with the same `id`. */
  readonly put: (entry: JournalEntry) => Effect.Effect<void, TxJournalError>
}

/** An explicit journal for every `TxEngine` built in its scope (else each engine keeps one in memory). */
export class TxJournal extends Context.Service<TxJournal, TxJournalShape>()("zg/contracts/TxJournal") {}

/** Resolved entries kept for `tx pending --all`-style history; unresolved ones are never dropped. */
export const KEEP_RESOLVED = 200

/** The newest `KEEP_RESOLVED` resolved entries plus every unresolved one, oldest first. */
export const prune = (entries: ReadonlyArray<JournalEntry>): JournalEntry[] => {
  const resolved = entries.filter((e) => e.resolved !== undefined)
  const drop = new Set(resolved.slice(0, Math.max(0, resolved.length - KEEP_RESOLVED)).map((e) => e.id))
  return entries.filter((e) => !drop.has(e.id))
}

/** Replaces (by id) or appends. */
export const upsert = (entries: ReadonlyArray<JournalEntry>, entry: JournalEntry): JournalEntry[] => {
  const i = entries.findIndex((e) => e.id === entry.id)
  if (i < 0) return prune([...entries, entry])
  const next = [...entries]
  next[i] = entry
  return prune(next)
}

/** A journal that lives as long as the process. */
export const memoryTxJournal = (): TxJournalShape => {
  let entries: ReadonlyArray<JournalEntry> = []
  const lock = Semaphore.makeUnsafe(1)
  return {
    location: "memory",
    entries: Effect.sync(() => entries),
    put: (entry) =>
      Effect.sync(() => {
        entries = upsert(entries, entry)
      }).pipe(Semaphore.withPermit(lock)),
  }
}

/** Whether an entry was made on this chain (same chain id and, when both are known, the same genesis block). */
export const sameChain = (e: JournalEntry, from: string, chainId: bigint, genesis: string) =>
  e.from.toLowerCase() === from.toLowerCase() &&
  e.chainId === chainId.toString() &&
  (e.genesis === undefined || genesis === "" || e.genesis === genesis)

/** The entry that holds `hash` (original or replacement). */
export const entryOf = (entries: ReadonlyArray<JournalEntry>, hash: string): JournalEntry | undefined => {
  const h = hash.toLowerCase()
  return entries.find((e) => e.hashes.some((x) => x.toLowerCase() === h))
}

/** An unreadable journal is reported with its location, never silently treated as empty. */
export const journalError = (path: string, cause: unknown) =>
  new TxJournalError({
    path,
    reason:
      typeof cause === "object" && cause !== null && "code" in cause
        ? String((cause as { code: unknown }).code)
        : cause instanceof Error
          ? cause.message
          : String(cause),
  })
