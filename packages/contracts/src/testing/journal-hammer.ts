/**
 * A child process for the cross-process journal test: puts `count` entries named `<tag>-<i>` into the file journal
 * at `path`, one write each. Run as `node --import tsx journal-hammer.ts <path> <tag> <count>`.
 */
import { Effect } from "effect"
import type { JournalEntry } from "../journal.js"
import { fileTxJournal } from "../node/journal-file.js"

export const testEntry = (id: string): JournalEntry => ({
  id,
  intent: `test:${id}`,
  chainId: "31337",
  from: "0x0000000000000000000000000000000000000001",
  to: "0x0000000000000000000000000000000000000002",
  nonce: 0,
  value: "0",
  dataDigest: "0x",
  hashes: [id],
  raws: [""],
  createdAt: new Date(0).toISOString(),
})

const [path, tag, count] = process.argv.slice(2)
if (process.env.ZG_JOURNAL_HAMMER === "1" && path !== undefined) {
  const journal = fileTxJournal(path)
  for (let i = 0; i < Number(count); i++) await Effect.runPromise(journal.put(testEntry(`${tag}-${i}`)))
}
