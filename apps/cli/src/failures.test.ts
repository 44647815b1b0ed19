/**
 * Every command group's failure modes, run in-process (the busy port also through the spawned binary), in text and
 * --json modes: a useful one-line message, exit 1, nothing on stdout, and never an UnknownError or Effect's wording. The first block needs no chain (nothing
 * listens, busy port, bad input, hostile RPC); the second runs against a devnet.
 */
import { execFileSync } from "node:child_process"
import { createWriteStream } from "node:fs"
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises"
import { createServer as createHttpServer } from "node:http"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort } from "@0g-compute/core/node"
import { useStarted } from "@0g-compute/core/testing/hooks"
import { startDevnet } from "@0g-compute/devnet"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { describe, expect, it } from "vitest"
import { listen, runCli, spawnCli } from "./testing/cli.js"

const EFFECT_WORDING = /UnknownError|Effect\.tryPromise|An error occurred in|FiberFailure|\bDefect\b/
// Public test keys of the standard mnemonic (#7, #8); never real ones.
const KEY = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"
const ADDRESS = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
const STRANGER = "0x000000000000000000000000000000000000dEaD"

const nonWarnings = (s: string) =>
  s
    .trim()
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("warning:"))

/** Runs a failing command in text and --json mode, checks what every failure must look like, returns both. */
const fails = async (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) => {
  const [text, json] = await Promise.all([runCli(args, env), runCli([...args, "--json"], env)])
  const what = args.join(" ")
  expect(text.code, what).toBe(1)
  expect(text.stdout, what).toBe("")
  const lines = nonWarnings(text.stderr)
  expect(lines[0], what).toMatch(/^error: \S.{10,}/)
  expect(
    lines.slice(1).every((l) => l.startsWith("usage: ")),
    `${what}: ${text.stderr}`,
  ).toBe(true)
  expect(text.stderr, what).not.toMatch(EFFECT_WORDING)
  expect(json.code, what).toBe(1)
  expect(json.stdout, what).toBe("")
  const doc = JSON.parse(nonWarnings(json.stderr).join("\n")) as { error: { _tag: string; message: string } }
  expect(doc.error._tag, what).toMatch(/^[A-Z][A-Za-z]+$/)
  expect(doc.error._tag, what).not.toMatch(/^Unknown(Error|Exception)$/)
  expect(doc.error.message, what).toBe((lines[0] ?? "").slice("error: ".length))
  expect(json.stderr, what).not.toMatch(EFFECT_WORDING)
  return { message: doc.error.message, tag: doc.error._tag, doc: doc.error, stderr: text.stderr }
}

describe("failures without a chain", () => {
  const key = { ZG_PRIVATE_KEY: KEY }
  const env = useStarted(async (onStop) => {
    const dir = await mkdtemp(join(tmpdir(), "zg-failures-"))
    const nobody = await freePort()
    const busy = createServer()
    const busyPort = await listen(busy)
    onStop(() => busy.close())
    // A hostile RPC: every JSON-RPC call fails with terminal escape sequences in the node's error text.
    const hostile = createHttpServer((req, res) => {
      let body = ""
      req.on("data", (c) => (body += c))
      req.on("end", () => {
        const one = (m: { id: number }) => ({
          jsonrpc: "2.0",
          id: m.id,
          error: { code: -32000, message: "boom \x1b[31mRED\x1b]0;pwned\x07\r\u202eevil" },
        })
        const msg = JSON.parse(body) as { id: number } | Array<{ id: number }>
        res.setHeader("content-type", "application/json")
        res.end(JSON.stringify(Array.isArray(msg) ? msg.map(one) : one(msg)))
      })
    })
    const hostilePort = await listen(hostile)
    onStop(() => hostile.close())
    return { dir, nobody, busyPort, hostilePort }
  })

  it("devnet up on a busy port names the port and --port", async () => {
    const f = await fails(["devnet", "up", "--port", String(env.busyPort)])
    expect(f.tag).toBe("PortInUse")
    expect(f.message).toBe(`port ${env.busyPort} is in use; pass --port <n> (or stop what listens there)`)
    const spawned = await spawnCli(["devnet", "up", "--port", String(env.busyPort)])
    expect(spawned).toMatchObject({ code: 1, stdout: "", stderr: `error: ${f.message}\n` })
  }, 180_000)

  it("nothing on the RPC port: names the address and how to start a devnet, for every group", async () => {
    const net = ["--network", "devnet", "--rpc", `http://127.0.0.1:${env.nobody}`]
    const hint = `nothing listens on 127.0.0.1:${env.nobody} — start \`0g-compute devnet up --port ${env.nobody}\` or pass --network testnet|mainnet`
    const cases: ReadonlyArray<ReadonlyArray<string>> = [
      ["ledger", "show", "--address", ADDRESS],
      ["ledger", "deposit", "1"],
      ["inference", "list"],
      ["fine-tuning", "list-tasks", "--provider", STRANGER],
      ["devnet", "advance-time", "10"],
    ]
    const results = await Promise.all(cases.map((c) => fails([...net, ...c], key)))
    for (const f of results) expect(f.message).toBe(hint)
  }, 300_000)

  it("bad input is refused before any RPC is contacted: amounts, addresses, networks, flags", async () => {
    const net = ["--network", `http://127.0.0.1:${env.nobody}`]
    const [amount, decimals, address, network, flag, missing, literal] = await Promise.all([
      fails([...net, "ledger", "deposit", "1e3"], key),
      fails([...net, "ledger", "add", "0.0000000000000000001"], key),
      fails([...net, "ledger", "deposit", "1", "--for", "not-an-address"], key),
      fails(["--network", "moonnet", "ledger", "show"], key),
      fails(["ledger", "show", "--bogus"]),
      fails(["ledger", "transfer", "1", "--service", "inference"]),
      fails(["ledger", "transfer", "--provider", ADDRESS, "--service", "storage", "1"]),
    ])
    expect(amount).toMatchObject({ tag: "InvalidAmount" })
    expect(amount.message).toMatch(/exponent/)
    expect(decimals.message).toMatch(/more than 18 decimal places/)
    expect(address).toMatchObject({ tag: "InvalidAddress" })
    expect(network.message).toMatch(/^unknown --network "moonnet": use devnet, testnet/)
    expect(flag.message).toMatch(/--bogus/)
    expect(missing.message).toMatch(/--provider/)
    expect(literal.message).toMatch(/storage/)
  }, 300_000)

  it("a missing key names ZG_PRIVATE_KEY, --key-file and --key", async () => {
    const net = ["--network", `http://127.0.0.1:${env.nobody}`]
    const [deposit, tasks] = await Promise.all([
      fails([...net, "ledger", "deposit", "1"]),
      fails([...net, "fine-tuning", "list-tasks", "--provider", STRANGER]),
    ])
    for (const f of [deposit, tasks]) expect(f.message).toMatch(/ZG_PRIVATE_KEY, pass --key-file <path> or --key/)
  }, 180_000)

  it("storage and profile failures name the file, the indexer or the profile", async () => {
    const root = `0x${"0".repeat(64)}`
    const [missing, download, profile] = await Promise.all([
      fails(["storage", "root", join(env.dir, "no-such-file")]),
      fails(["storage", "download", root, join(env.dir, "out"), "--indexer", `http://127.0.0.1:${env.nobody}`]),
      fails(["--profile", "nope", "ledger", "show"], { ZG_CONFIG_DIR: join(env.dir, "empty-config") }),
    ])
    expect(missing.message).toMatch(/no-such-file/)
    expect(download.message).toContain(`127.0.0.1:${env.nobody}`)
    expect(profile.message).toMatch(/No profile named "nope" \(see `0g-compute profile list`\)/)
  }, 180_000)

  it("a hostile RPC's escape sequences are neutralised and URL credentials never printed", async () => {
    const url = `http://alice:s3cretpw@127.0.0.1:${env.hostilePort}/APIKEY0123456789`
    const f = await fails(["--network", url, "ledger", "show", "--address", ADDRESS])
    expect(f.message).toBe(
      `RPC call eth_chainId at http://127.0.0.1:${env.hostilePort}/*** failed: boom \\x1b[31mRED\\x1b]0;pwned\\x07\\x0d\\u202eevil`,
    )
    for (const c of ["\x1b", "\x07", "\r", "\u202e"]) expect(f.stderr).not.toContain(c)
    const doctor = await runCli(["--network", url, "doctor", "--json"])
    for (const out of [f.stderr, JSON.stringify(f.doc), doctor.stdout, doctor.stderr]) {
      expect(out).not.toContain("s3cretpw")
      expect(out).not.toContain("APIKEY0123456789")
    }
    expect(JSON.parse(doctor.stdout).checks[0].detail).toMatch(/failed: boom/)
  }, 180_000)

  it("serve refuses a short gateway token and warns about a non-loopback --host", async () => {
    const short = await fails(["inference", "serve", "--provider", STRANGER], { ...key, ZG_GATEWAY_TOKEN: "short" })
    expect(short.tag).toBe("GatewayTokenTooShort")
    expect(short.message).toMatch(/at least 32/)
    const net = ["--network", "devnet", "--rpc", `http://127.0.0.1:${env.nobody}`]
    const open = await fails([...net, "inference", "serve", "--provider", STRANGER, "--host", "0.0.0.0"], key)
    expect(open.stderr).toMatch(/^warning: --host 0\.0\.0\.0 exposes the gateway beyond this machine/m)
  }, 180_000)

  it("fine-tuning decrypt never replaces an existing --output without --overwrite", async () => {
    const out = join(env.dir, "model.bin")
    await writeFile(out, "precious")
    const f = await fails(["fine-tuning", "decrypt", "--provider", STRANGER, "--task", "t1", "--output", out], key)
    expect(f).toMatchObject({ tag: "OutputExists", message: `${out} already exists; pass --overwrite to replace it` })
    expect(await readFile(out, "utf8")).toBe("precious")
  }, 120_000)

  it("keys: --password-file is the password used, remove asks unless --yes, loose modes are warned about", async () => {
    const config = join(env.dir, "cfg")
    await mkdir(join(config, "keys"), { recursive: true })
    await chmod(join(config, "keys"), 0o777)
    const pw = join(env.dir, "pw")
    await writeFile(pw, "file-password\n", { mode: 0o600 })
    const keysEnv = { ZG_CONFIG_DIR: config, ZG_KEYSTORE_PASSWORD: "env-password", ZG_PRIVATE_KEY: KEY }
    const imported = await runCli(["keys", "import", "main", "--password-file", pw, "--json"], keysEnv)
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stderr).toMatch(
      /warning: keys directory .* is writable by group\/others \(mode 777\); run `chmod 700/,
    )
    const stored = await readFile(join(config, "keys", "main.json"), "utf8")
    expect((await Wallet.fromEncryptedJson(stored, "file-password")).address).toBe(ADDRESS)
    await expect(Wallet.fromEncryptedJson(stored, "env-password")).rejects.toThrow()

    const refused = await fails(["keys", "remove", "main"], { ZG_CONFIG_DIR: config })
    expect(refused.message).toMatch(/^`keys remove main` cannot be undone; pass --yes/)
    expect((await stat(join(config, "keys", "main.json"))).isFile()).toBe(true)
    expect((await runCli(["keys", "remove", "main", "--yes"], { ZG_CONFIG_DIR: config })).code).toBe(0)

    const shared = join(env.dir, "shared-key")
    await writeFile(shared, KEY)
    await chmod(shared, 0o666)
    const r = await runCli([
      "--key-file",
      shared,
      "--network",
      `http://127.0.0.1:${env.nobody}`,
      "ledger",
      "deposit",
      "1",
    ])
    expect(r.stderr).toContain(
      `warning: key file ${shared} is accessible by group/others (mode 666); run \`chmod 600 ${shared}\``,
    )
  }, 240_000)

  it("--help lists the command's own flags and one pointer to the global ones", async () => {
    const [show, top] = await Promise.all([runCli(["ledger", "show", "--help"]), runCli(["--help"])])
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(/--address/)
    for (const inherited of [
      "--wizard",
      "--log-level",
      "--network string",
      "--key-file string",
      "INHERITED",
      "GLOBAL FLAGS",
    ])
      expect(show.stdout).not.toContain(inherited)
    expect(show.stdout).toMatch(/Global flags \(--network, .*\): see `0g-compute --help`/)
    expect(top.stdout).toMatch(/--network/)
    expect(top.stdout).not.toContain("--wizard")
  }, 120_000)
})

describe("failures and human output against a devnet", () => {
  const env = useStarted(async (onStop) => {
    const devnet = await startDevnet({ fineTuning: true })
    onStop(() => devnet.stop())
    const net = ["--network", devnet.rpcUrl]
    const key = { ZG_PRIVATE_KEY: Redacted.value(devnet.accounts.users[4]!.privateKey) }
    return { devnet, net, key }
  }, 180_000)

  it("unknown providers, a missing ledger and a missing address say what to do next", async () => {
    const user = env.devnet.accounts.users[4]!.address
    const [verify, tasks, noLedger, noAddress] = await Promise.all([
      fails([...env.net, "inference", "verify", "--provider", STRANGER]),
      fails([...env.net, "fine-tuning", "list-tasks", "--provider", STRANGER], env.key),
      fails([...env.net, "ledger", "show"], env.key),
      fails([...env.net, "ledger", "show"]),
    ])
    expect(verify.message).toMatch(new RegExp(STRANGER, "i"))
    expect(tasks.message).toMatch(new RegExp(STRANGER, "i"))
    expect(noLedger.message).toBe(`no ledger exists for ${user}; create one with \`0g-compute ledger add <amount>\``)
    expect(noAddress).toMatchObject({ tag: "AddressNeeded" })
    expect(noAddress.message).toMatch(/pass --address <0x…>, or a key/)
    for (const f of [verify, tasks, noLedger, noAddress])
      expect(f.message).not.toMatch(/ledger get|--state|`ledger deposit`/)
  }, 300_000)

  it("inference serve on a busy port: a typed GatewayListenFailed naming the address, nothing left listening", async () => {
    const busy = createServer()
    const port = await listen(busy)
    try {
      const provider = env.devnet.services.inference[0]!.provider.address
      const f = await fails([...env.net, "inference", "serve", "--provider", provider, "--port", String(port)], env.key)
      expect(f).toMatchObject({ tag: "GatewayListenFailed", doc: { host: "127.0.0.1", port, code: "EADDRINUSE" } })
      expect(f.message).toBe(`the gateway cannot listen on 127.0.0.1:${port}: the port is in use`)
    } finally {
      busy.close()
    }
  }, 120_000)

  it("a key read from a pipe (--key-file <(…)) is used", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zg-fifo-"))
    const fifo = join(dir, "key")
    execFileSync("mkfifo", ["-m", "600", fifo])
    const writer = createWriteStream(fifo)
    writer.end(Redacted.value(env.devnet.accounts.users[0]!.privateKey))
    const f = await runCli([...env.net, "--key-file", fifo, "ledger", "show"])
    writer.destroy()
    expect(f.code).toBe(1)
    expect(f.stderr.trim()).toBe(
      `error: no ledger exists for ${env.devnet.accounts.users[0]!.address}; create one with \`0g-compute ledger add <amount>\``,
    )
  }, 120_000)

  it("fine-tuning ack-provider and list-tasks print for humans by default and JSON only with --json", async () => {
    const ft = env.devnet.services.fineTuning[0]!.provider.address
    expect((await runCli([...env.net, "ledger", "add", "5"], env.key)).code).toBe(0)
    const ack = await runCli(
      [...env.net, "fine-tuning", "ack-provider", "--provider", ft, "--fund", "1", "--allow-devnet"],
      env.key,
    )
    expect(ack.code, ack.stderr).toBe(0)
    expect(ack.stdout.trimStart().startsWith("{")).toBe(false)
    expect(ack.stdout).toMatch(/TEE signer\s+0x[0-9a-fA-F]{40}/)
    expect(ack.stdout).toMatch(/sub-account funded\s+1 0G/)
    const [human, json] = await Promise.all([
      runCli([...env.net, "fine-tuning", "list-tasks", "--provider", ft], env.key),
      runCli([...env.net, "fine-tuning", "list-tasks", "--provider", ft, "--json"], env.key),
    ])
    expect(human.stdout.trim()).toBe("no tasks with this provider")
    expect(JSON.parse(json.stdout)).toEqual({ provider: ft, tasks: [] })
  }, 300_000)
})
