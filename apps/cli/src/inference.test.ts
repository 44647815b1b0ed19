/** `0g-compute inference …` run in-process against a devnet with an emulated TEE provider. */
import { JsonRpcProvider } from "ethers"
import { beforeAll, describe, expect, it } from "vitest"
import { type Run, useCliDevnet } from "./testing/cli.js"

describe("0g-compute inference (in-process on a devnet)", () => {
  const net = useCliDevnet({ inference: { settleIntervalMs: 0 } }, 1)
  const { devnet, env, ack } = net
  let provider: string
  const outputs: Run[] = []
  const cli = async (args: ReadonlyArray<string>) => {
    const r = await net.cli(args)
    outputs.push(r)
    return r
  }

  beforeAll(() => {
    provider = devnet.inference[0]!.providerAddress
  })

  it("lists services and models, and reports a devnet attestation as devnet", async () => {
    const list = JSON.parse((await cli(["inference", "list", "--json"])).stdout)
    expect(list.services.map((s: { provider: string }) => s.provider)).toContain(provider)
    const models = JSON.parse((await cli(["inference", "models", "--provider", provider, "--json"])).stdout)
    expect(models.defaultModel).toBe(devnet.inference[0]!.model)
    const report = JSON.parse((await cli(["inference", "verify", "--provider", provider, "--json"])).stdout)
    expect(report.environment).toBe("devnet")
    expect(report.verdict).toBe("devnet")
    expect(report.checks.signerBound.status).toBe("pass")
  })

  it("refuses to acknowledge a devnet quote without --allow-devnet, sending nothing", async () => {
    expect((await cli(["ledger", "add", "6"])).code).toBe(0)
    const chain = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 })
    const nonce = await chain.getTransactionCount(devnet.accounts.users[1]!.address)
    const refused = await cli(["inference", "ack", "--provider", provider, "--fund", "2"])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/failed attestation/)
    expect(await chain.getTransactionCount(devnet.accounts.users[1]!.address)).toBe(nonce)
    const ok = JSON.parse((await ack(provider, "--json")).stdout)
    expect(ok.onChain).toBe("created")
    chain.destroy()
  })

  it("chats non-stream and stream with a verified verdict and a fee", async () => {
    const plain = JSON.parse(
      (await cli(["inference", "chat", "--provider", provider, "--json", "hello devnet"])).stdout,
    )
    expect(plain.answer).toBe("Echo: hello devnet")
    expect(plain.usage.verdict).toBe("Verified")
    expect(BigInt(plain.usage.fee)).toBeGreaterThan(0n)
    const streamed = JSON.parse(
      (await cli(["inference", "chat", "--provider", provider, "--stream", "--json", "stream me"])).stdout,
    )
    expect(streamed.answer).toBe("Echo: stream me")
    expect(streamed.usage.verdict).toBe("Verified")
  })

  it("refuses a tampered response with a non-zero exit", async () => {
    devnet.inference[0]!.faults.set({ flipResponseByte: true })
    try {
      const r = await cli(["inference", "chat", "--provider", provider, "--json", "tamper with me"])
      expect(r.code).toBe(1)
      expect(r.stdout).toBe("")
      expect(JSON.parse(r.stderr).error._tag).toBe("ResponseTampered")
    } finally {
      devnet.inference[0]!.faults.clear()
    }
  })

  it("creates, lists and revokes persistent API keys", async () => {
    const created = JSON.parse((await cli(["inference", "api-key", "create", "--provider", provider, "--json"])).stdout)
    expect(created.apiKey).toMatch(/^app-sk-/)
    const second = JSON.parse((await cli(["inference", "api-key", "create", "--provider", provider, "--json"])).stdout)
    expect(second.tokenId).not.toBe(created.tokenId)
    expect(
      (await cli(["inference", "api-key", "revoke", "--provider", provider, "--token-id", String(created.tokenId)]))
        .code,
    ).toBe(0)
    const list = JSON.parse((await cli(["inference", "api-key", "list", "--provider", provider, "--json"])).stdout)
    const status = Object.fromEntries(list.keys.map((k: { tokenId: number; status: string }) => [k.tokenId, k.status]))
    expect(status[created.tokenId]).toBe("revoked")
    expect(status[second.tokenId]).toBe("active")
  })

  it("never prints the wallet key", () => {
    const key = env.ZG_PRIVATE_KEY!.slice(2)
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(key)
  })
})
