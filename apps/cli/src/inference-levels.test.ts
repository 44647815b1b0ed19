/**
 * `0g-compute inference chat` and verification levels (issue 13 row 6): a standard provider never signs, so the CLI
 * refuses it before sending anything unless `--allow-unverifiable` is given; the answer is then marked unverifiable.
 */
import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Devnet, type InferenceProvider, startDevnet } from "@0g-compute/devnet"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli } from "./test-util.js"

describe("0g-compute inference chat: verification levels (spawned binary on a devnet)", () => {
  let devnet: Devnet
  let env: Record<string, string>
  let verified: InferenceProvider
  let standard: InferenceProvider
  const cli = (args: ReadonlyArray<string>) => runCli(["--network", devnet.rpcUrl, ...args], env)

  beforeAll(async () => {
    devnet = await startDevnet({
      inference: { settleIntervalMs: 0 },
      inferenceProviders: 2,
      inferenceBrokers: [{ providerType: "centralized" }, { providerType: "standard" }],
    })
    verified = devnet.inference[0] as InferenceProvider
    standard = devnet.inference[1] as InferenceProvider
    env = {
      ZG_PRIVATE_KEY: Redacted.value(devnet.accounts.users[2]?.privateKey ?? Redacted.make("")),
      ZG_CONFIG_DIR: await mkdtemp(join(tmpdir(), "zg-levels-")),
    }
    expect((await cli(["ledger", "add", "8"])).code).toBe(0)
    for (const [p, extra] of [
      [verified, []],
      [standard, ["--allow-unverified"]],
    ] as const) {
      const ack = await cli([
        "inference",
        "ack",
        "--provider",
        p.providerAddress,
        "--fund",
        "2",
        "--allow-devnet",
        ...extra,
      ])
      expect(ack.code).toBe(0)
    }
  })
  afterAll(async () => {
    await devnet?.stop()
  })

  it("prints the level: bytes-bound with a centralized provider's routing-proof claim", async () => {
    const json = JSON.parse(
      (await cli(["inference", "chat", "--provider", verified.providerAddress, "--json", "hi"])).stdout,
    )
    expect(json).toMatchObject({
      level: "bytes-bound",
      routing: { providerType: "centralized", providerIdentity: "openai" },
    })
    expect(json.usage.level).toBe("bytes-bound")
    const human = await cli(["inference", "chat", "--provider", verified.providerAddress, "hi"])
    expect(human.stdout).toMatch(/level\s+bytes-bound \(routing proof: openai, TLS [0-9a-f]{16}…\)/)
  })

  it("refuses a standard provider before any fee, and marks it unverifiable with --allow-unverifiable", async () => {
    const refused = await cli(["inference", "chat", "--provider", standard.providerAddress, "--json", "hi"])
    expect(refused.code).toBe(1)
    expect(JSON.parse(refused.stderr).error._tag).toBe("ServiceNotVerifiable")
    const user = devnet.accounts.users[2]?.address ?? ""
    expect(standard.unsettledFee(user)).toBe(0n)
    const ok = await cli([
      "inference",
      "chat",
      "--provider",
      standard.providerAddress,
      "--allow-unverifiable",
      "--json",
      "hi",
    ])
    expect(ok.code).toBe(0)
    const json = JSON.parse(ok.stdout)
    expect(json).toMatchObject({ answer: "Echo: hi", level: "unverifiable" })
    expect(BigInt(json.usage.fee)).toBe(standard.unsettledFee(user))
  })
})
