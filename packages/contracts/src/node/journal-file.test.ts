/**
 * The file journal shared by several processes (the CLI's `serve` top-up next to a `ledger deposit`, parallel
 * scripts): concurrent read-modify-writes from separate processes never drop an entry, and an abandoned lock does
 * not block the journal.
 */
import { execFile } from "node:child_process"
import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { testEntry as entry } from "../testing/journal-hammer.js"
import { fileTxJournal } from "./journal-file.js"

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href
const script = fileURLToPath(new URL("../testing/journal-hammer.ts", import.meta.url))

/** A child process that puts `count` entries named `<tag>-<i>` into the journal at `path`, one write each. */
const hammer = (path: string, tag: string, count: number) =>
  new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", tsx, script, path, tag, String(count)],
      { timeout: 60_000, env: { ...process.env, ZG_JOURNAL_HAMMER: "1" } },
      (err, _out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve()),
    )
  })

describe("fileTxJournal across processes", () => {
  it("two processes writing the same journal at once lose no entry", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zg-journal-mp-"))
    const path = join(dir, "tx-journal.json")
    const perProcess = 40 // well under KEEP_RESOLVED: nothing may be pruned
    await Promise.all([hammer(path, "a", perProcess), hammer(path, "b", perProcess)])
    const ids = new Set((await Effect.runPromise(fileTxJournal(path).entries)).map((e) => e.id))
    expect(ids.size).toBe(2 * perProcess)
    for (const tag of ["a", "b"]) for (let i = 0; i < perProcess; i++) expect(ids.has(`${tag}-${i}`)).toBe(true)
  })

  it("a lock left by a process that no longer exists is taken over; the lock is removed after each write", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zg-journal-lock-"))
    const path = join(dir, "tx-journal.json")
    // A pid far above any live one on this host (Linux pid_max ≤ 4194304).
    await writeFile(`${path}.lock`, "4194305 deadbeef")
    await Effect.runPromise(fileTxJournal(path).put(entry("x")))
    expect((await Effect.runPromise(fileTxJournal(path).entries)).map((e) => e.id)).toEqual(["x"])
    await expect(readFile(`${path}.lock`)).rejects.toMatchObject({ code: "ENOENT" })
  })
})
