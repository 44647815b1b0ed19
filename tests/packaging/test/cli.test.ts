/**
 * The `0g-compute` command as npm installs it from its tarball: the bundled bin (not the dev runner) prints help and
 * runs the embedded devnet, which needs the contract artifacts and the anvil binary found from the installed bundle.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, inject, it } from "vitest"

const appDir = inject("appDir")
const bin = join(appDir, "node_modules", ".bin", "0g-compute")

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer()
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

describe("installed @0g-compute/cli", () => {
  it("links the bundled bin and prints help", () => {
    const manifest = JSON.parse(readFileSync(join(appDir, "node_modules/@0g-compute/cli/package.json"), "utf8"))
    expect(manifest.bin["0g-compute"]).toBe("./dist/0g-compute.mjs")
    expect(
      existsSync(join(appDir, "node_modules/@0g-compute/cli/dist/assets/contracts/artifacts/LedgerManager.json")),
    ).toBe(true)
    const help = spawnSync(bin, ["--help"], { encoding: "utf8" })
    expect(help.status).toBe(0)
    expect(help.stdout).toContain("customer toolkit for the 0G Compute Network")
  })

  it("keeps router keys in a PGlite data directory from the installed bundle", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "zg-router-"))
    try {
      const created = spawnSync(bin, ["router", "keys", "create", "--label", "ci", "--data-dir", dataDir, "--json"], {
        encoding: "utf8",
      })
      expect(created.status, created.stderr).toBe(0)
      const { key, secret } = JSON.parse(created.stdout) as { key: { id: string }; secret: string }
      expect(secret).toMatch(/^zgr-/)
      const listed = spawnSync(bin, ["router", "keys", "list", "--data-dir", dataDir, "--json"], { encoding: "utf8" })
      expect(listed.status, listed.stderr).toBe(0)
      expect(listed.stdout).toContain(key.id)
      expect(listed.stdout).not.toContain(secret)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it("starts the devnet from the installed bundle and stops on SIGINT", async () => {
    const port = await freePort()
    const child = spawn(bin, ["devnet", "up", "--port", String(port), "--json"], { stdio: ["ignore", "pipe", "pipe"] })
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    const doc = await new Promise<{ rpcUrl: string; contracts: { ledger: string } }>((resolve, reject) => {
      let out = ""
      child.stdout.on("data", (b: Buffer) => {
        out += b
        const line = out.split("\n").find((l) => l.startsWith("{"))
        if (line) resolve(JSON.parse(line))
      })
      child.stderr.on("data", (b: Buffer) => {
        out += b
      })
      child.on("close", () => reject(new Error(`devnet up exited early: ${out}`)))
    })
    expect(doc.rpcUrl).toBe(`http://127.0.0.1:${port}`)
    expect(doc.contracts.ledger).toBe("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0")
    const show = spawnSync(bin, ["--network", doc.rpcUrl, "ledger", "show", "--address", doc.contracts.ledger], {
      encoding: "utf8",
    })
    expect(show.status).toBe(1)
    expect(show.stderr).toMatch(/no ledger exists for 0x9fE4/i)
    child.kill("SIGINT")
    expect(await exited).not.toBeNull()
  }, 120_000)
})
