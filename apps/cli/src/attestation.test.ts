/**
 * Attestation run in-process on a devnet with the emulated inference and fine-tuning providers: pins on
 * `inference verify|ack`, and `fine-tuning ack-provider` running inference's attestation report (a devnet quote needs
 * --allow-devnet; a compose-hash pin that differs refuses it whatever the opt-ins, sending nothing).
 */
import { createHash } from "node:crypto"
import { JsonRpcProvider } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { useCliDevnet } from "./testing/cli.js"

describe("attestation pins and the fine-tuning quote check (in-process on a devnet)", () => {
  const { devnet, cli, ack } = useCliDevnet({ inference: { settleIntervalMs: 0 }, fineTuning: { stepDelayMs: 0 } }, 2)
  let chain: JsonRpcProvider
  const composeOf = async (url: string) => {
    const quote = JSON.parse(await (await fetch(`${url}/v1/quote`)).text()) as { tcb_info: { app_compose: string } }
    return createHash("sha256").update(quote.tcb_info.app_compose).digest("hex")
  }
  // Uncached: in-process commands finish within ethers' 250 ms cache of an identical call.
  const nonce = () => chain.getTransactionCount(devnet.accounts.users[2]!.address)

  beforeAll(async () => {
    chain = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 })
    expect((await cli(["ledger", "add", "8"])).code).toBe(0)
  })
  afterAll(() => chain?.destroy())

  it("inference verify reports pins as unpinned, pass, or fail", async () => {
    const p = devnet.inference[0]!
    const bare = JSON.parse((await cli(["inference", "verify", "--provider", p.providerAddress, "--json"])).stdout)
    expect(bare.checks.composePinned.status).toBe("unpinned")
    const args = ["inference", "verify", "--provider", p.providerAddress, "--json"]
    const pinned = JSON.parse(
      (
        await cli([
          ...args,
          "--expect-compose",
          await composeOf(p.url),
          "--expect-image",
          "0g-devnet/inference-emulator:local",
        ])
      ).stdout,
    )
    expect(pinned.checks.composePinned.status).toBe("pass")
    expect(pinned.checks.imagePinned.status).toBe("pass")
    const wrong = JSON.parse((await cli([...args, "--expect-image", `sha256:${"0".repeat(64)}`])).stdout)
    expect(wrong.checks.imagePinned.status).toBe("fail")
  })

  it("inference ack refuses a compose-hash mismatch even with --allow-devnet --allow-unverified", async () => {
    const p = devnet.inference[0]!
    const before = await nonce()
    const r = await ack(p.providerAddress, "--allow-unverified", "--expect-compose", "ab".repeat(32))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/refused: compose hash/)
    expect(await nonce()).toBe(before)
  })

  it("fine-tuning ack-provider runs inference's attestation report", async () => {
    const ft = devnet.fineTuning!
    const before = await nonce()
    const ackProvider = (...extra: ReadonlyArray<string>) =>
      cli(["fine-tuning", "ack-provider", "--provider", ft.address, "--fund", "1", ...extra])
    const noOptIn = await ackProvider()
    expect(noOptIn.code).toBe(1)
    expect(noOptIn.stderr).toMatch(/failed attestation/)
    const pinned = await ackProvider("--allow-devnet", "--allow-unverified", "--expect-compose", "cd".repeat(32))
    expect(pinned.code).toBe(1)
    expect(pinned.stderr).toMatch(/refused/)
    expect(await nonce()).toBe(before)
    const ok = await ackProvider("--allow-devnet", "--expect-compose", await composeOf(ft.url), "--json")
    expect(ok.code, ok.stderr).toBe(0)
    const v = JSON.parse(ok.stdout).verification
    expect(v.assessedBy).toBe("inference-attestation")
    expect(v.attestation.verdict).toBe("devnet")
    // Checks only inference's report makes: the hardware replay and the pins.
    expect(v.attestation.checks.eventLogReplay.status).toBe("devnet")
    expect(v.attestation.checks.composePinned.status).toBe("pass")
    expect(await nonce()).toBe(before + 1)
  })
})
