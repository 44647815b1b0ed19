/**
 * The ledger commands against a devnet, run in-process (and spawned as a user would run them where the exit code of
 * the real binary is the point): --json parsed, exit codes, and no secret in any output.
 */
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Devnet, startDevnet } from "@0g-compute/devnet"
import { Redacted } from "effect"
import { JsonRpcProvider } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Run, runCli, spawnCli } from "./testing/cli.js"

const run = runCli

describe("0g-compute ledger on a devnet", () => {
  let devnet: Devnet
  let key: string
  let net: string[]
  let secrets: string[]
  const outputs: Run[] = []
  const cli = async (
    args: ReadonlyArray<string>,
    env: Record<string, string | undefined> = { ZG_PRIVATE_KEY: key },
  ) => {
    const r = await run([...net, ...args], env)
    outputs.push(r)
    return r
  }

  beforeAll(async () => {
    devnet = await startDevnet()
    key = Redacted.value(devnet.accounts.users[2]!.privateKey)
    net = ["--network", devnet.rpcUrl]
    secrets = [key, key.slice(2)]
  })
  afterAll(async () => {
    await devnet?.stop()
  })

  it("walks add → deposit → transfer → show → retrieve with --json documents", async () => {
    const add = await cli(["ledger", "add", "5", "--json"])
    expect(add.code).toBe(0)
    expect(JSON.parse(add.stdout)).toMatchObject({ action: "add", amount: "5000000000000000000" })
    expect(JSON.parse(add.stdout).tx.hash).toMatch(/^0x[0-9a-f]{64}$/)

    expect((await cli(["ledger", "deposit", "1.25", "--json"])).code).toBe(0)
    const provider = devnet.services.inference[0]!.provider.address
    const transfer = await cli(["ledger", "transfer", "--provider", provider, "--service", "inference", "2", "--json"])
    expect(transfer.code).toBe(0)

    const show = JSON.parse((await cli(["ledger", "show", "--json"])).stdout)
    expect(show.ledger).toMatchObject({
      total: "6250000000000000000",
      available: "4250000000000000000",
      locked: "2000000000000000000",
    })
    expect(show.subAccounts).toHaveLength(1)
    expect(show.subAccounts[0]).toMatchObject({
      provider,
      serviceName: "inference-v1.0",
      balance: "2000000000000000000",
    })

    const retrieve = JSON.parse((await cli(["ledger", "retrieve", "--service", "inference", "--json"])).stdout)
    expect(retrieve.txs).toHaveLength(1)
    expect(retrieve.subAccounts[0].pendingRefund).toBe("2000000000000000000")
    expect(Number(retrieve.subAccounts[0].refunds[0].remainingLockSeconds)).toBeGreaterThan(86_000)
  })

  it("reads another address's ledger without any key", async () => {
    const user = devnet.accounts.users[2]!.address
    const r = await cli(["ledger", "show", "--address", user, "--json"], {})
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).ledger.user).toBe(user)
  })

  it("fails with one line and exit 1 on bad input, moving no money", async () => {
    const provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 })
    const user = devnet.accounts.users[2]!.address
    const nonceBefore = await provider.getTransactionCount(user)
    const cases: Array<[string[], RegExp]> = [
      [["ledger", "deposit", "-1"], /Invalid amount "-1": negative/],
      [["ledger", "deposit", "1e3"], /exponent/],
      [["ledger", "deposit", "0.0000000000000000001"], /more than 18 decimal places/],
      [["ledger", "add", "1"], /already exists/],
      [["ledger", "refund", "1000"], /Insufficient/],
      [["ledger", "transfer", "--provider", "0x1234", "--service", "inference", "1"], /Invalid address/],
      [["ledger", "deposit", "1", "--for", "not-an-address"], /Invalid address/],
    ]
    for (const [args, message] of cases) {
      const r = await cli(args)
      expect(r.code, args.join(" ")).toBe(1)
      expect(r.stderr.trim().split("\n")).toHaveLength(1)
      expect(r.stderr).toMatch(message)
      expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/)
    }
    expect(await provider.getTransactionCount(user)).toBe(nonceBefore)
    provider.destroy()
  }, 240_000)

  it("prints typed JSON errors with --json and stack traces only with --verbose", async () => {
    const r = await cli(["ledger", "refund", "1000", "--json"])
    expect(r.code).toBe(1)
    const doc = JSON.parse(r.stderr)
    expect(doc.error._tag).toBe("InsufficientBalance")
    expect(doc.error.required).toBe("1000000000000000000000")
    const v = await cli(["ledger", "refund", "1000", "--verbose"])
    expect(v.stderr).toMatch(/\n\s+at /)
  })

  it("refuses an unknown network and a wrong chain id without guessing", async () => {
    const unknown = await spawnCli(["--network", "moonnet", "ledger", "show"], { ZG_PRIVATE_KEY: key })
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/unknown --network "moonnet"/)
    const mismatch = await spawnCli(["--network", "mainnet", "--rpc", devnet.rpcUrl, "ledger", "show"], {
      ZG_PRIVATE_KEY: key,
    })
    expect(mismatch.code).toBe(1)
    expect(mismatch.stderr).toMatch(/chain 31337, expected 16661/)
  })

  it("takes the key from --key-file, rejects bad keys, and needs a key to write", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zg-cli-"))
    const file = join(dir, "key")
    await writeFile(file, `${Redacted.value(devnet.accounts.users[3]!.privateKey)}\n`)
    const r = await cli(["--key-file", file, "ledger", "add", "3", "--json"], {})
    expect(r.code).toBe(0)
    expect(JSON.parse((await cli(["--key-file", file, "ledger", "show", "--json"], {})).stdout).ledger.user).toBe(
      devnet.accounts.users[3]!.address,
    )
    const bad = join(dir, "bad")
    await writeFile(bad, "0x1234")
    const badRun = await cli(["--key-file", bad, "ledger", "show"], {})
    expect(badRun.code).toBe(1)
    expect(badRun.stderr).toMatch(/Invalid private key/)
    const none = await cli(["ledger", "deposit", "1"], {})
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/set ZG_PRIVATE_KEY, pass --key-file/)
  })

  it("doctor gives one verdict per check, and fails on an unreachable RPC", async () => {
    const ok = await cli(["doctor", "--json"])
    const doc = JSON.parse(ok.stdout)
    const byName = Object.fromEntries(doc.checks.map((c: { check: string; verdict: string }) => [c.check, c.verdict]))
    expect(byName).toMatchObject({
      rpc: "ok",
      "chain id": "ok",
      contracts: "ok",
      registry: "ok",
      key: "ok",
      ledger: "ok",
    })
    expect(doc.verdict).not.toBe("fail")
    expect(ok.code).toBe(0)
    const down = await run(["--network", "http://127.0.0.1:9", "doctor", "--json"])
    expect(down.code).toBe(1)
    const downDoc = JSON.parse(down.stdout)
    expect(downDoc.verdict).toBe("fail")
    expect(downDoc.checks[0]).toMatchObject({ check: "rpc", verdict: "fail" })
  })

  it("never prints a private key in any output or error", () => {
    expect(outputs.length).toBeGreaterThan(10)
    for (const o of outputs) for (const s of secrets) expect(`${o.stdout}${o.stderr}`).not.toContain(s)
  })
})
