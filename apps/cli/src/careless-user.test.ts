/**
 * What a careless (or hostile) person types at the keyboard: out-of-range numbers, malformed roots and URLs, a checksum
 * typo, a profile named like a JavaScript built-in. Each is refused in the CLI's own words (the flag or argument
 * named), with exit 1, nothing on stdout and a JSON document under --json, before a key, a chain or a store is touched.
 */
import { existsSync } from "node:fs"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { InvalidAddress } from "@0g-compute/core/light"
import { freePort } from "@0g-compute/core/node"
import { useStarted } from "@0g-compute/core/testing/hooks"
import { describe, expect, it } from "vitest"
import { runCli } from "./testing/cli.js"

// Public test key of the standard mnemonic (#7); never a real one.
const KEY = { ZG_PRIVATE_KEY: "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356" }
const STRANGER = "0x000000000000000000000000000000000000dEaD"
const ROOT = `0x${"ab".repeat(32)}`
const INTERNALS = /UnknownError|Effect\.tryPromise|An error occurred in|FiberFailure|\bDefect\b|unexpected failure/

/** Runs `args` in text and --json mode; both must fail alike. Returns the tag and the one-line message. */
const refused = async (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) => {
  const [text, json] = await Promise.all([runCli(args, env), runCli(["--json", ...args], env)])
  const what = args.join(" ")
  for (const run of [text, json]) {
    expect(run.code, what).toBe(1)
    expect(run.stdout, what).toBe("")
    expect(run.stderr, what).not.toMatch(INTERNALS)
  }
  const first = text.stderr.split("\n")[0] ?? ""
  expect(first, what).toMatch(/^error: /)
  const doc = JSON.parse(json.stderr) as { error: { _tag: string; message: string } }
  expect(doc.error.message, what).toBe(first.slice("error: ".length))
  return { tag: doc.error._tag, message: doc.error.message }
}

describe("a careless user at the keyboard", () => {
  const env = useStarted(async (onStop) => {
    const dir = await mkdtemp(join(tmpdir(), "zg-careless-"))
    onStop(() => rm(dir, { recursive: true, force: true }))
    // Nothing listens here: a command that reached for the chain or an indexer would fail with "nothing listens".
    const nobody = `http://127.0.0.1:${await freePort()}`
    return { dir, nobody }
  })

  it("--expires-in 0 or negative names the flag (not durationMs / expiresAt), before a key, chain or store", async () => {
    const store = join(env.dir, "router-never-created")
    const [router, apiKey] = await Promise.all([
      refused(["router", "keys", "create", "--data-dir", store, "--label", "ci", "--expires-in=-5"]),
      refused(
        ["--network", env.nobody, "inference", "api-key", "create", "--provider", STRANGER, "--expires-in", "0"],
        KEY,
      ),
    ])
    expect(router.message).toBe('Invalid value for flag --expires-in: "-5". Expected: a positive number of seconds')
    expect(apiKey.message).toBe('Invalid value for flag --expires-in: "0". Expected: a positive number of seconds')
    expect(existsSync(store)).toBe(false)
  })

  it("inference image --n 0 or negative names the flag, before the chain or the provider is asked", async () => {
    const out = join(env.dir, "never.png")
    const image = ["--network", env.nobody, "inference", "image", "--provider", STRANGER, "--prompt", "a", "--out", out]
    const [zero, negative] = await Promise.all([
      refused([...image, "--n", "0"], KEY),
      refused([...image, "--n=-2"], KEY),
    ])
    expect(zero.message).toBe('Invalid value for flag --n: "0". Expected: at least one image')
    expect(negative.message).toBe('Invalid value for flag --n: "-2". Expected: at least one image')
    expect(existsSync(out)).toBe(false)
  })

  it("serve --port outside 0..65535 names the flag, not Node's options.port", async () => {
    const [router, gateway] = await Promise.all([
      refused(["router", "serve", "--data-dir", join(env.dir, "serve"), "--provider", STRANGER, "--port", "70000"]),
      refused(["--network", env.nobody, "inference", "serve", "--provider", STRANGER, "--port=-1"], KEY),
    ])
    expect(router.message).toMatch(/^Invalid value for flag --port: "70000"\. Expected: a port from 0 to 65535/)
    expect(gateway.message).toMatch(/^Invalid value for flag --port: "-1"\. Expected: a port from 0 to 65535/)
  })

  it("--profile toString / profile use constructor: no such profile, not a built-in taken for one", async () => {
    const [flag, use] = await Promise.all([
      refused(["--profile", "toString", "ledger", "show", "--address", STRANGER]),
      refused(["profile", "use", "constructor"]),
    ])
    expect(flag).toEqual({
      tag: "UnknownProfile",
      message: 'No profile named "toString" (see `0g-compute profile list`)',
    })
    expect(use.tag).toBe("UnknownProfile")
  })

  it("devnet advance-time -5 is refused before the RPC (anvil would answer with its decoder's internals)", async () => {
    const f = await refused(["--network", env.nobody, "devnet", "advance-time", "--", "-5"])
    expect(f.message).toMatch(/^Invalid value for argument <seconds>: "-5"\. Expected: 0 or more/)
  })

  it("storage download with a short root or a malformed --indexer says which, before any request", async () => {
    const out = join(env.dir, "out.bin")
    const [root, url, fromEnv] = await Promise.all([
      refused(["storage", "download", "0x1234", out, "--indexer", env.nobody]),
      refused(["storage", "download", ROOT, out, "--indexer", "not-a-url"]),
      refused(["storage", "download", ROOT, out], { ZG_STORAGE_INDEXER: "ftp://user:hunter2@example.com" }),
    ])
    expect(root.message).toMatch(
      /^Invalid value for argument <root>: "0x1234"\. Expected: 0x followed by 64 hex digits/,
    )
    expect(url.message).toBe('Invalid value for flag --indexer: "not-a-url". Expected: an http(s) URL')
    expect(fromEnv.message).toMatch(/^Invalid value for flag --indexer: .*Expected: an http\(s\) URL$/)
    expect(fromEnv.message).not.toContain("hunter2")
    expect(existsSync(out)).toBe(false)
  })

  it("an RPC URL with a password, pasted where no argument belongs, is not echoed back", async () => {
    const f = await refused(["ledger", "show", "https://alice:hunter2@rpc.example/v1"])
    expect(f.message).toBe('Unexpected positional argument: "https://***@rpc.example/v1"')
  })

  it("an address with a checksum typo is called that, not 'expected 0x followed by 40 hex digits'", async () => {
    const typo = "0x14dc79964da2C08b23698B3D3cc7Ca32193d9955" // #7's address with one letter's case flipped
    const f = await refused(["--network", env.nobody, "ledger", "deposit", "1", "--for", typo], KEY)
    expect(f.tag).toBe("InvalidAddress")
    expect(f.message).toMatch(/does not match its EIP-55 checksum/)
    const short = await refused(["--network", env.nobody, "ledger", "deposit", "1", "--for", typo.slice(0, -1)], KEY)
    expect(short.message).toMatch(/expected 0x followed by 40 hex digits$/)
    // The zero address is refused where a ledger write would burn funds to it (after the chain is reached).
    const zero = new InvalidAddress({ input: `0x${"0".repeat(40)}` })
    expect(zero.message).toMatch(/the zero address is not allowed here$/)
  })

  it("--password-file missing, a directory or empty is named as the problem; an empty one encrypts no key", async () => {
    const config = join(env.dir, "keystore-config")
    const empty = join(env.dir, "empty-password")
    await writeFile(empty, "\n", { mode: 0o600 })
    const missing = join(env.dir, "no-such-password")
    const [gone, dir, none] = await Promise.all([
      refused(["keys", "new", "a", "--password-file", missing], { ZG_CONFIG_DIR: config }),
      refused(["keys", "import", "b", "--password-file", env.dir], { ...KEY, ZG_CONFIG_DIR: config }),
      refused(["keys", "new", "c", "--password-file", empty], { ZG_CONFIG_DIR: config }),
    ])
    expect(gone).toEqual({ tag: "PasswordFileUnusable", message: `Cannot use password file ${missing}: ENOENT` })
    expect(dir.message).toBe(`Cannot use password file ${env.dir}: EISDIR`)
    expect(none.message).toBe(`Cannot use password file ${empty}: it is empty`)
    const list = await runCli(["keys", "list", "--json"], { ZG_CONFIG_DIR: config })
    expect(JSON.parse(list.stdout)).toMatchObject({ keys: [] })
  })

  it("a private key pasted where a name, path, address or amount belongs is never echoed, nor saved in a profile", async () => {
    const secret = KEY.ZG_PRIVATE_KEY
    const config = join(env.dir, "profile-config")
    const net = ["--network", env.nobody]
    const runs = await Promise.all([
      refused([...net, "--key-file", secret, "ledger", "show"]),
      refused([...net, "ledger", "deposit", "1", "--for", secret.slice(2)], KEY),
      refused([...net, "ledger", "deposit", secret], KEY),
      refused([...net, "ledger", "show", secret]),
      refused([...net, "--key", secret, "profile", "set", "work"], { ZG_CONFIG_DIR: config }),
    ])
    for (const f of runs) expect(f.message).toContain("<64 hex digits, not shown: it may be a private key>")
    expect(runs[4]?.tag).toBe("InvalidKeyName")
    // The --json documents' fields (input, path, name) hide it too; and no profile was written.
    const docs = await Promise.all([
      runCli(["--json", ...net, "ledger", "deposit", "1", "--for", secret], KEY),
      runCli(["--json", ...net, "--key-file", secret, "ledger", "show"]),
      runCli(["--json", ...net, "--key", secret, "profile", "set", "work"], { ZG_CONFIG_DIR: config }),
      runCli([...net, "--verbose", "ledger", "deposit", "1", "--for", secret], KEY),
    ])
    for (const d of docs) expect(d.stderr).not.toContain(secret.slice(2))
    expect(existsSync(join(config, "config.json"))).toBe(false)
  })

  it("fine-tuning create --tokens -100 is refused before a fee estimate below the storage fee or a task", async () => {
    const f = await refused(
      [
        ...["--network", env.nobody, "fine-tuning", "create", "--provider", STRANGER, "--model", "mock-model"],
        ...["--config", join(env.dir, "training.json"), "--dataset", "0xabc", "--tokens=-100"],
      ],
      KEY,
    )
    expect(f.message).toBe('Invalid value for flag --tokens: "-100". Expected: 0 or more tokens')
  })

  it("--key-file holding JSON that is no wallet says so, instead of 'wrong password'", async () => {
    const notWallet = join(env.dir, "package.json")
    await writeFile(notWallet, '{"name": "not-a-wallet"}\n', { mode: 0o600 })
    const f = await refused(["--network", env.nobody, "--key-file", notWallet, "ledger", "deposit", "1"], {
      ZG_KEYSTORE_PASSWORD: "whatever-password",
    })
    expect(f).toEqual({
      tag: "KeyFileUnreadable",
      message: `Cannot read key file "${notWallet}": JSON, but not an encrypted JSON wallet (keystore v3)`,
    })
  })
})
