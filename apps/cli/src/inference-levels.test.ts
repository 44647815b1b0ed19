/**
 * `0g-compute inference chat` and verification levels (issue 13 row 6): a standard provider never signs, so the CLI
 * refuses it before sending anything unless `--allow-unverifiable` is given; the answer is then marked unverifiable.
 */
import type { InferenceProvider } from "@0g-compute/devnet"
import { beforeAll, describe, expect, it } from "vitest"
import { useCliDevnet } from "./testing/cli.js"

describe("0g-compute inference chat: verification levels (spawned binary on a devnet)", () => {
  const { devnet, cli, ack } = useCliDevnet(
    {
      inference: { settleIntervalMs: 0 },
      inferenceProviders: 2,
      inferenceBrokers: [{ providerType: "centralized" }, { providerType: "standard" }],
    },
    2,
  )
  let verified: InferenceProvider
  let standard: InferenceProvider

  beforeAll(async () => {
    verified = devnet.inference[0] as InferenceProvider
    standard = devnet.inference[1] as InferenceProvider
    expect((await cli(["ledger", "add", "8"])).code).toBe(0)
    expect((await ack(verified.providerAddress)).code).toBe(0)
    expect((await ack(standard.providerAddress, "--allow-unverified")).code).toBe(0)
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
