/**
 * Download outputs are opened exclusively and never through links (issue 11, Low): a planted `<dest>.zgpart` symlink
 * is not followed, and `overwrite` never replaces a device, FIFO or symlink.
 */
import { execFileSync } from "node:child_process"
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { failure } from "@0g-compute/core/testing"
import { uploadBytes } from "@0g-compute/storage"
import { downloadFile } from "@0g-compute/storage/node"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"

describe("download output safety", () => {
  const chain = useStorageChain()
  let root = ""
  const data = new Uint8Array(70_000).map((_, i) => (i * 13) % 251)
  const dir = mkdtempSync(join(tmpdir(), "zg-output-safety-"))
  const opts = () => ({ indexerUrl: chain.devnet.indexerUrl })
  const victim = join(dir, "victim.txt")
  const VICTIM_TEXT = "precious, must survive"

  beforeAll(async () => {
    const signer = new Wallet(Redacted.value(deriveAccount(6).privateKey), chain.provider)
    root = (await uploadBytes(data, { ...opts(), signer, pollIntervalMs: 20 })).root
  })
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
  })

  it("a planted <dest>.zgpart symlink is not followed (fresh and resumed downloads)", async () => {
    writeFileSync(victim, VICTIM_TEXT)
    const dest = join(dir, "fresh.bin")
    symlinkSync(victim, `${dest}.zgpart`)
    const err = await failure(downloadFile(root, dest, opts()))
    expect(err).toMatchObject({ _tag: "UnsafeOutput", path: `${dest}.zgpart` })
    expect(readFileSync(victim, "utf8")).toBe(VICTIM_TEXT)
    expect(() => lstatSync(dest)).toThrow()

    // A state file that claims a resumable part must not make us open the link either.
    const resumed = join(dir, "resumed.bin")
    symlinkSync(victim, `${resumed}.zgpart`)
    writeFileSync(`${resumed}.zgpart.json`, JSON.stringify({ root, size: data.length, done: "" }))
    const again = await failure(downloadFile(root, resumed, opts()))
    expect(again).toMatchObject({ _tag: "UnsafeOutput", path: `${resumed}.zgpart` })
    expect(readFileSync(victim, "utf8")).toBe(VICTIM_TEXT)
  })

  it("a planted state-file tmp symlink is replaced, not written through", async () => {
    writeFileSync(victim, VICTIM_TEXT)
    const dest = join(dir, "state.bin")
    symlinkSync(victim, `${dest}.zgpart.json.tmp`)
    const result = await downloadFile(root, dest, opts())
    expect(result.size).toBe(data.length)
    expect(Buffer.from(readFileSync(dest)).equals(Buffer.from(data))).toBe(true)
    expect(readFileSync(victim, "utf8")).toBe(VICTIM_TEXT)
  })

  it("--overwrite never replaces a FIFO, a device file or a symlink; it does replace a regular file", async () => {
    const fifo = join(dir, "pipe")
    execFileSync("mkfifo", [fifo])
    expect(await failure(downloadFile(root, fifo, { ...opts(), overwrite: true }))).toMatchObject({
      _tag: "UnsafeOutput",
      path: fifo,
    })
    expect(lstatSync(fifo).isFIFO()).toBe(true)

    // A character device like the audit's /dev/full (same major/minor as /dev/null), made where it harms nothing.
    if (process.getuid?.() === 0) {
      const device = join(dir, "null-device")
      execFileSync("mknod", [device, "c", "1", "3"])
      const err = await failure(downloadFile(root, device, { ...opts(), overwrite: true }))
      expect(err).toMatchObject({ _tag: "UnsafeOutput", path: device })
      expect(err.message).toContain("device")
      expect(lstatSync(device).isCharacterDevice()).toBe(true)
    }

    const link = join(dir, "link.bin")
    symlinkSync(victim, link)
    expect(await failure(downloadFile(root, link, { ...opts(), overwrite: true }))).toMatchObject({
      _tag: "UnsafeOutput",
      path: link,
    })
    expect(lstatSync(link).isSymbolicLink()).toBe(true)

    const dangling = join(dir, "dangling.bin")
    symlinkSync(join(dir, "nowhere"), dangling)
    expect(await failure(downloadFile(root, dangling, opts()))).toMatchObject({ _tag: "OutputExists", path: dangling })

    const regular = join(dir, "regular.bin")
    writeFileSync(regular, "old")
    await downloadFile(root, regular, { ...opts(), overwrite: true })
    expect(Buffer.from(readFileSync(regular)).equals(Buffer.from(data))).toBe(true)
  })
})
