/**
 * Test helper: a throwaway Postgres server (Debian's `postgresql` binaries) in a temp directory on 127.0.0.1 and a
 * free port. As root it runs as the `postgres` user (the server refuses root).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

const ROOT = "/usr/lib/postgresql"

/** The newest installed server's bin directory (`/usr/lib/postgresql/<major>/bin`), if any. */
export const postgresBin = (): string | undefined => {
  const majors = existsSync(ROOT)
    ? readdirSync(ROOT)
        .filter((d) => /^\d+$/.test(d) && existsSync(join(ROOT, d, "bin", "postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : []
  return majors[0] === undefined ? undefined : join(ROOT, majors[0], "bin")
}

/** A port nothing listens on now (127.0.0.1). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const a = s.address()
      const port = typeof a === "object" && a !== null ? a.port : 0
      s.close(() => resolve(port))
    })
  })

export interface TestPostgres {
  readonly url: string
  /** Kills the server (no clean shutdown: every connection breaks) and starts it again on the same data and port. */
  readonly restart: () => Promise<void>
  readonly stop: () => Promise<void>
}

export const startPostgres = async (): Promise<TestPostgres> => {
  const BIN = postgresBin()
  if (BIN === undefined) throw new Error(`no Postgres server under ${ROOT}/*/bin (apt-get install postgresql)`)
  const dir = mkdtempSync(join(tmpdir(), "zg-router-pg-"))
  const data = join(dir, "data")
  const root = process.getuid?.() === 0
  const as = (cmd: string, args: string[]) => (root ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args])
  if (root) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim())
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim())
    chownSync(dir, uid, gid)
    chmodSync(dir, 0o700)
  }
  const [initCmd, initArgs] = as(`${BIN}/initdb`, ["-D", data, "-U", "router", "--auth=trust", "-E", "UTF8"]) as [
    string,
    string[],
  ]
  execFileSync(initCmd, initArgs, { stdio: "ignore" })
  const port = await freePort()
  const [cmd, args] = as(`${BIN}/postgres`, [
    "-D",
    data,
    "-p",
    String(port),
    "-k",
    dir,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "fsync=off",
  ]) as [string, string[]]
  const launch = async () => {
    const started: ChildProcess = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] })
    await new Promise<void>((resolve, reject) => {
      let log = ""
      started.stderr?.on("data", (c: Buffer) => {
        log += c.toString()
        if (log.includes("ready to accept connections")) resolve()
      })
      started.once("exit", (code) => reject(new Error(`postgres exited (${code}): ${log}`)))
    })
    started.stderr?.resume()
    return started
  }
  const kill = async () => {
    if (server.exitCode !== null) return
    const exited = new Promise((r) => server.once("exit", r))
    const [stopCmd, stopArgs] = as(`${BIN}/pg_ctl`, ["stop", "-D", data, "-m", "immediate"]) as [string, string[]]
    execFileSync(stopCmd, stopArgs, { stdio: "ignore" })
    await exited
  }
  let server = await launch()
  return {
    url: `postgres://router@127.0.0.1:${port}/postgres`,
    restart: async () => {
      await kill()
      server = await launch()
    },
    stop: async () => {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
