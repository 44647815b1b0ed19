/**
 * A download whose writes fail (a real file size limit, RLIMIT_FSIZE, set on a child process with `prlimit`: it works
 * as root too, unlike permissions) ends with the typed FileWriteError, removes its part and state files, and leaves
 * the destination as it was. The download runs in the child; the devnet's node and indexer serve it over HTTP.
 */
import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { pseudoRandomBytes } from "@0g-compute/core/testing"
import { uploadBytes } from "@0g-compute/storage"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href
const child = fileURLToPath(new URL("./download-child.ts", import.meta.url))
const SIZE = 6 * 262_144 - 1000
const LIMIT = 1024 * 1024

interface Outcome {
  readonly ok: boolean
  readonly tag?: string
  readonly path?: string
  readonly message?: string
}

/** Runs the child download under a file size limit of `limit` bytes. */
const limitedDownload = (root: string, dest: string, indexerUrl: string, limit: number) =>
  new Promise<Outcome>((resolve, reject) => {
    const argv = [`--fsize=${limit}`, "--", process.execPath, "--import", tsx, child, root, dest, indexerUrl]
    execFile("prlimit", argv, { env: { ...process.env, TSX_DISABLE_CACHE: "1" } }, (err, stdout, stderr) => {
      const line = stdout.trim().split("\n").pop() ?? ""
      if (err && line === "") return reject(new Error(`child failed: ${err.message}\n${stderr}`))
      resolve(JSON.parse(line) as Outcome)
    })
  })

describe("a download whose writes fail", () => {
  const chain = useStorageChain()
  const data = pseudoRandomBytes(SIZE, 77)
  const dir = mkdtempSync(join(tmpdir(), "zg-write-failure-"))
  let root = ""

  beforeAll(async () => {
    const signer = new Wallet(Redacted.value(deriveAccount(6).privateKey), chain.provider)
    root = (await uploadBytes(data, { indexerUrl: chain.devnet.indexerUrl, signer, pollIntervalMs: 20 })).root
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("a resumed part past the file size limit: FileWriteError, part and state removed, destination kept", async () => {
    const dest = join(dir, "out.bin")
    writeFileSync(dest, "old contents")
    // An interrupted earlier run: the full-size part (made here, without the limit) and its state, nothing done yet.
    writeFileSync(`${dest}.zgpart`, new Uint8Array(SIZE))
    writeFileSync(`${dest}.zgpart.json`, JSON.stringify({ root, size: SIZE, done: "" }))
    const outcome = await limitedDownload(root, dest, chain.devnet.indexerUrl, LIMIT)
    expect(outcome).toMatchObject({ ok: false, tag: "FileWriteError", path: `${dest}.zgpart` })
    expect(outcome.message).toContain("Cannot write")
    expect(existsSync(`${dest}.zgpart`)).toBe(false)
    expect(existsSync(`${dest}.zgpart.json`)).toBe(false)
    expect(readFileSync(dest, "utf8")).toBe("old contents")
  }, 120_000)

  it("the same child without the limit downloads the file (the setup is not what fails)", async () => {
    const dest = join(dir, "fine.bin")
    const outcome = await limitedDownload(root, dest, chain.devnet.indexerUrl, 64 * 1024 * 1024)
    expect(outcome).toMatchObject({ ok: true, size: SIZE })
    expect(Buffer.from(readFileSync(dest)).equals(Buffer.from(data))).toBe(true)
  }, 120_000)
})
