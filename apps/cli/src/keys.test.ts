/** The encrypted keystore run in-process: round trip, wrong password, no plaintext key anywhere. */
import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { runCli } from "./testing/cli.js"

// A public test key (standard mnemonic #7); never a real one.
const KEY = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"
const ADDRESS = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"

const run = async (args: ReadonlyArray<string>, env: Record<string, string | undefined>) => {
  const r = await runCli(args, env)
  return { code: r.code, out: r.stdout + r.stderr }
}

describe("0g-compute keys", () => {
  it("imports, lists, unlocks and removes an encrypted key without ever writing or printing it in plaintext", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zg-keys-"))
    const env = { ZG_CONFIG_DIR: dir, ZG_KEYSTORE_PASSWORD: "correct horse" }
    const imported = await run(["keys", "import", "main", "--json"], { ...env, ZG_PRIVATE_KEY: KEY })
    expect(imported.code, imported.out).toBe(0)
    expect(JSON.parse(imported.out)).toEqual({ name: "main", address: ADDRESS })

    const file = join(dir, "keys", "main.json")
    const stored = await readFile(file, "utf8")
    expect(stored).not.toContain(KEY.slice(2))
    const doc = JSON.parse(stored)
    expect((doc.crypto ?? doc.Crypto).kdf).toBe("scrypt")
    expect((await stat(file)).mode & 0o077).toBe(0)

    const again = await run(["keys", "import", "main"], { ...env, ZG_PRIVATE_KEY: KEY })
    expect(again.code).toBe(1)
    expect(again.out).toMatch(/already exists/)

    const list = await run(["keys", "list", "--json"], env)
    expect(JSON.parse(list.out).keys).toEqual([{ name: "main", address: ADDRESS }])

    // Unlocking is proven by a command that needs the key: a read of its own ledger on an unreachable RPC fails
    // only after the key was decrypted, while a wrong password fails before.
    const wrong = await run(["--key", "main", "--network", "http://127.0.0.1:9", "ledger", "show"], {
      ...env,
      ZG_KEYSTORE_PASSWORD: "nope",
    })
    expect(wrong.code).toBe(1)
    expect(wrong.out).toMatch(/Wrong password for keystore entry "main"/)
    const right = await run(["--key", "main", "--network", "http://127.0.0.1:9", "ledger", "show"], env)
    expect(right.code).toBe(1)
    expect(right.out).toMatch(/nothing listens on 127\.0\.0\.1:9/)

    const pwFile = join(dir, "pw")
    await writeFile(pwFile, "correct horse\n")
    const viaFile = await run(
      ["--key", "main", "--password-file", pwFile, "--network", "http://127.0.0.1:9", "ledger", "show"],
      { ZG_CONFIG_DIR: dir },
    )
    expect(viaFile.out).toMatch(/nothing listens on 127\.0\.0\.1:9/)

    const removed = await run(["keys", "remove", "main", "--yes"], env)
    expect(removed.code).toBe(0)
    expect(await readdir(join(dir, "keys"))).toEqual([])
    for (const r of [imported, again, list, wrong, right, viaFile, removed]) expect(r.out).not.toContain(KEY.slice(2))
  }, 240_000)

  it("refuses to run without a password source when stdin is not a terminal", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zg-keys-"))
    const r = await run(["keys", "new", "x"], { ZG_CONFIG_DIR: dir })
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/keystore password is needed/)
    const bad = await run(["keys", "new", "../escape"], { ZG_CONFIG_DIR: dir, ZG_KEYSTORE_PASSWORD: "x" })
    expect(bad.code).toBe(1)
    expect(bad.out).toMatch(/Invalid key name/)
  }, 60_000)
})

describe("0g-compute profile", () => {
  it("saves, switches and applies profiles; explicit flags win; no key material in the config", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zg-profiles-"))
    const env = { ZG_CONFIG_DIR: dir }
    expect(
      (await run(["--network", "http://127.0.0.1:9", "--key", "main", "profile", "set", "local", "--json"], env)).code,
    ).toBe(0)
    expect((await run(["--network", "testnet", "profile", "set", "work"], env)).code).toBe(0)
    const list = JSON.parse((await run(["profile", "list", "--json"], env)).out)
    expect(list).toEqual({
      current: "local",
      profiles: { local: { network: "http://127.0.0.1:9", key: "main" }, work: { network: "testnet" } },
    })
    // The current profile decides the network when --network is absent…
    const viaProfile = await run(["doctor", "--json"], env)
    expect(JSON.parse(viaProfile.out.slice(0, viaProfile.out.lastIndexOf("}") + 1)).checks[0].detail).toMatch(
      /127\.0\.0\.1:9/,
    )
    // …and an explicit flag wins over it.
    const unknown = await run(["--network", "moonnet", "doctor"], env)
    expect(unknown.out).toMatch(/unknown --network "moonnet"/)
    expect((await run(["profile", "use", "work"], env)).code).toBe(0)
    expect(JSON.parse((await run(["profile", "list", "--json"], env)).out).current).toBe("work")
    const missing = await run(["--profile", "nope", "ledger", "show"], env)
    expect(missing.code).toBe(1)
    expect(missing.out).toMatch(/No profile named "nope"/)
    expect(await readFile(join(dir, "config.json"), "utf8")).not.toMatch(/privateKey|0x[0-9a-f]{64}/i)
  }, 240_000)
})
