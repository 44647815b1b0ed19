/**
 * `0g-compute router serve` as a user runs it (the real binary, a child process) against a devnet: it prints its URL
 * and admin token, answers a virtual key's chat verified, funds with --funding-interval (it holds the funding lock), and
 * after Ctrl-C (SIGINT) the key's spend is still in the data directory for `router keys list`.
 */
import { spawn } from "node:child_process"
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { BIN, useCliDevnet } from "./testing/cli.js"

describe("0g-compute router serve (spawned) on a devnet", () => {
  const { devnet, env, cli, ack } = useCliDevnet({ inference: { settleIntervalMs: 0 } }, 2)
  let dataDir: string

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "zg-router-serve-"))
  })

  it("serves a verified chat for a virtual key and keeps its spend after SIGINT", async () => {
    const provider = devnet.inference[0]!.providerAddress
    expect((await cli(["ledger", "add", "5"])).code).toBe(0)
    expect((await ack(provider)).code).toBe(0)

    const child = spawn(
      process.execPath,
      [
        BIN,
        "--network",
        devnet.rpcUrl,
        "router",
        "serve",
        "--provider",
        provider,
        "--port",
        "0",
        "--data-dir",
        dataDir,
        "--funding-interval",
        "1",
        "--json",
      ],
      { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    )
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve))
    let stderr = ""
    child.stderr.on("data", (b: Buffer) => (stderr += b))
    const started = await new Promise<{
      url: string
      adminToken: string
      migrations: number[]
      instanceId: string
      fundingIntervalMs: number
    }>((resolve, reject) => {
      let out = ""
      child.stdout.on("data", (b: Buffer) => {
        out += b
        try {
          resolve(JSON.parse(out)) // one JSON document, printed once the router listens
        } catch {
          // not complete yet
        }
      })
      void exited.then((code) => reject(new Error(`router serve exited (${code}): ${stderr}`)))
    })
    let created: { key: { id: string }; secret: string }
    try {
      expect(started.migrations).toEqual([1, 2, 3])
      expect(started.fundingIntervalMs).toBe(1000)
      const admin = { authorization: `Bearer ${started.adminToken}`, "content-type": "application/json" }
      // --funding-interval turns funding on; on PGlite this one process holds the funding lock from the start.
      const funding = (await (await fetch(`${started.url}/admin/funding`, { headers: admin })).json()) as Record<
        string,
        unknown
      >
      expect(funding).toMatchObject({
        instance_id: started.instanceId,
        enabled: true,
        interval_ms: 1000,
        holding: true,
        holder: started.instanceId,
      })
      created = (await (
        await fetch(`${started.url}/admin/keys`, {
          method: "POST",
          headers: admin,
          body: JSON.stringify({ label: "cli" }),
        })
      ).json()) as { key: { id: string }; secret: string }
      const res = await fetch(`${started.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${created.secret}`, "content-type": "application/json" },
        body: JSON.stringify({ model: devnet.inference[0]!.model, messages: [{ role: "user", content: "hi" }] }),
      })
      expect(res.status).toBe(200)
      expect(res.headers.get("x-0g-verification")).toBe("bytes-bound")
      await res.arrayBuffer()
    } finally {
      child.kill("SIGINT")
      await exited
    }

    const listed = await cli(["router", "keys", "list", "--data-dir", dataDir, "--json"])
    expect(listed.code, listed.stderr).toBe(0)
    const [key] = JSON.parse(listed.stdout).keys as Array<{
      id: string
      spent: { total: string }
      last_used_at: string
    }>
    expect(key?.id).toBe(created.key.id)
    expect(Number(key?.spent.total)).toBeGreaterThan(0)
    expect(listed.stdout).not.toContain(created.secret)
  }, 150_000)
})
