/**
 * One process at a time on a PGlite data directory. PGlite is a single-process database: a second instance on the same
 * directory (a second `router serve`, or `router keys create` while the router runs) opens without complaint, and the
 * two then overwrite each other's writes — keys, spend and the request log silently lost. So opening claims the
 * directory with a lock file holding the process id; a claim whose process is gone (a crash, `kill -9`) is taken over.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"

const LOCK_FILE = "router.lock"
/** Directories this process holds (a second open in the same process is refused as well). */
const held = new Set<string>()

/** Whether `pid` names a running process other than this one (a lock left by an earlier run with our pid is stale). */
const running = (pid: number) => {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM" // alive, another user's
  }
}

/** The data directory is held by a running process (`pid`; this one, when opened twice here). */
export class DataDirInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the PGlite data directory ${dataDir} is in use by process ${pid} (PGlite is single-process: stop it, or manage ` +
        "keys through the running router's admin API)",
    )
  }
}

/** Claims `dataDir` for this process; returns the release. Throws {@link DataDirInUse} while another holds it. */
export const claimDataDir = (dataDir: string): (() => void) => {
  const dir = resolve(dataDir)
  if (held.has(dir)) throw new DataDirInUse(dir, process.pid)
  mkdirSync(dir, { recursive: true })
  const path = join(dir, LOCK_FILE)
  const mine = `${process.pid}\n`
  for (let tries = 0; ; tries++) {
    try {
      writeFileSync(path, mine, { flag: "wx" })
      held.add(dir)
      return () => {
        held.delete(dir)
        try {
          if (readFileSync(path, "utf8") === mine) unlinkSync(path)
        } catch {
          // already gone
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
      if (tries >= 3) throw new DataDirInUse(dir, Number.NaN) // claimed and released around us, again and again
    }
    let pid = Number.NaN
    try {
      pid = Number(readFileSync(path, "utf8").trim())
    } catch {
      continue // removed meanwhile: claim again
    }
    if (running(pid)) throw new DataDirInUse(dir, pid)
    try {
      unlinkSync(path) // stale: its process is gone
    } catch {
      // another opener removed it first
    }
  }
}
