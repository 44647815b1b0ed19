/** `0g-compute router keys create|list|revoke` in-process on a PGlite data directory: secret once, no secret listed. */
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { runCli } from "./testing/cli.js"

describe("0g-compute router keys", () => {
  it("creates a key (secret shown once), lists it without the secret, revokes it; bad input is a typed error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zg-router-cli-"))
    const env = { ZG_CONFIG_DIR: dir }
    const created = await runCli(
      ["router", "keys", "create", "--label", "ci", "--budget-total", "0.5", "--rpm", "10", "--model", "m1", "--json"],
      env,
    )
    expect(created.code, created.stderr).toBe(0)
    const doc = JSON.parse(created.stdout) as { key: { id: string }; secret: string }
    expect(doc.secret).toMatch(/^zgr-/)
    expect(doc.key).toMatchObject({ label: "ci", budget: { total: "0.5" }, requests_per_minute: 10, models: ["m1"] })

    const listed = await runCli(["router", "keys", "list", "--json"], env)
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).not.toContain(doc.secret)
    expect(JSON.parse(listed.stdout).keys).toEqual([expect.objectContaining({ id: doc.key.id, remaining: "0.5" })])

    const revoked = await runCli(["router", "keys", "revoke", "--id", doc.key.id], env)
    expect(revoked.code, revoked.stderr).toBe(0)
    expect(revoked.stdout).toContain(`router key ${doc.key.id} revoked`)
    const table = await runCli(["router", "keys", "list"], env)
    expect(table.stdout).toMatch(new RegExp(`${doc.key.id}\\s+ci\\s+revoked`))

    const missing = await runCli(["router", "keys", "revoke", "--id", "key_nope", "--json"], env)
    expect(missing.code).not.toBe(0)
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { _tag: "KeyNotFound" } })
    const negative = await runCli(["router", "keys", "create", "--label", "x", "--budget-day", "-1"], env)
    expect(negative.code).not.toBe(0)
    expect(negative.stderr).toContain("invalid router key option budgetDay")
  }, 180_000) // seven commands, each opening the PGlite directory (the first initialises it: ~5 s of CPU alone)
})
