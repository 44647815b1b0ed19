/**
 * The CLI's pending-transaction journal: one JSON file next to the keystore (`<config dir>/tx-journal.json`, 0600), so
 * a command re-run after a crash, hang-up or timeout settles the earlier transaction instead of paying twice, and
 * `tx pending` can list what is still open.
 */
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { configDir } from "./keystore.js"

export const txJournalPath = Effect.map(configDir, (dir) => join(dir, "tx-journal.json"))

const contractsNode = Effect.promise(() => import("@0g-compute/contracts/node"))

/** The file journal as the `TxJournal` service, for stacks built from layers (ledger, tx commands). */
export const txJournalLayer = Layer.unwrap(
  Effect.zipWith(contractsNode, txJournalPath, (m, path) => m.fileTxJournalLayer(path)),
)
