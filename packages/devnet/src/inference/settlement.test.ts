/**
 * Settlement beyond the happy path: the timer settles on its own (observed through the event callback), and a
 * balance below the debt settles PARTIAL, keeps the rest outstanding and settles it later with a higher nonce.
 */
import { ledgerManager } from "@0g-compute/contracts"
import { INFERENCE_SERVICE_NAME } from "@0g-compute/contracts/node"
import { Redacted } from "effect"
import { type NonceManager, Wallet } from "ethers"
import { afterAll, describe, expect, it } from "vitest"
import type { DevnetAccount } from "../accounts.js"
import { useInferenceDevnet } from "../testing/hooks.js"
import { chat, E, fund, mined, serving, signer, token } from "../testing/inference.js"
import { startInferenceProvider } from "./provider.js"
import type { InferenceProvider, InferenceProviderEvent, InferenceProviderOptions, SettlementReport } from "./types.js"

const t = useInferenceDevnet({ inferenceProviders: 0 })
const started: InferenceProvider[] = []
afterAll(async () => {
  for (const p of started) await p.stop()
})

const start = async (wallet: number, options: Partial<InferenceProviderOptions>) => {
  const p = await startInferenceProvider({
    rpcUrl: t.devnet.rpcUrl,
    contract: t.devnet.addresses.inference,
    providerKey: (t.devnet.accounts.users[wallet] as DevnetAccount).privateKey,
    teeKey: Redacted.make(Wallet.createRandom().privateKey),
    settleIntervalMs: 0,
    acknowledgeWith: signer(t.devnet.accounts.deployer, t.rpc),
    ...options,
  })
  started.push(p)
  return p
}

const user = (i: number) => signer(t.devnet.accounts.users[i] as DevnetAccount, t.rpc)

const ask = async (p: InferenceProvider, u: NonceManager, content: string) => {
  const ex = await chat(p.url, await token(u, p.providerAddress), {
    model: p.model,
    messages: [{ role: "user", content }],
  })
  expect(ex.status).toBe(200)
  const usage = JSON.parse(ex.text).usage as { prompt_tokens: number; completion_tokens: number }
  return BigInt(usage.prompt_tokens) * p.inputPrice + BigInt(usage.completion_tokens) * p.outputPrice
}

describe("settlement", () => {
  it("settles on its own timer", async () => {
    let resolveSettled: (r: SettlementReport) => void = () => {}
    const settled = new Promise<SettlementReport>((resolve) => {
      resolveSettled = resolve
    })
    const onEvent = (e: InferenceProviderEvent) => {
      if (e._tag === "Settled") resolveSettled(e.report)
    }
    const p = await start(3, { settleIntervalMs: 50, onEvent })
    const u = user(0)
    await fund(t.devnet, u, p.providerAddress, E(2))
    const fee = await ask(p, u, "settle me by timer")
    const report = await settled
    expect(report.settled).toBe(fee)
    expect(report.items).toEqual([expect.objectContaining({ user: await u.getAddress(), status: 0 })])
    const account = await serving(t.devnet, t.rpc).getAccount(await u.getAddress(), p.providerAddress)
    expect(account.balance).toBe(E(2) - fee)
    expect(p.unsettledFee(await u.getAddress())).toBe(0n)
  })

  it("settles min(fee, balance) as PARTIAL and the rest later with a higher nonce", async () => {
    // 0.3 0G per completion token: one short answer costs more than what will be left in the sub-account.
    const p = await start(4, { inputPrice: 1n, outputPrice: E(0.3) })
    const u = user(1)
    const address = await u.getAddress()
    await fund(t.devnet, u, p.providerAddress, E(2))
    const fee = await ask(p, u, "a b") // "Echo: a b": 2 prompt + 3 completion tokens
    expect(fee).toBe(2n + E(0.9))

    // Drain the sub-account behind the provider's back: retrieve, let the lock pass, retrieve again.
    const ledger = ledgerManager(t.devnet.addresses.ledger, u)
    await mined(ledger.retrieveFund([p.providerAddress], INFERENCE_SERVICE_NAME))
    await t.rpc.send("evm_increaseTime", [86_401])
    await mined(ledger.retrieveFund([p.providerAddress], INFERENCE_SERVICE_NAME))
    expect((await serving(t.devnet, t.rpc).getAccount(address, p.providerAddress)).balance).toBe(0n)
    expect((await p.settleNow()).items).toEqual([]) // nothing to take

    await mined(ledger.transferFund(p.providerAddress, INFERENCE_SERVICE_NAME, E(0.5)))
    const partial = await p.settleNow()
    expect(partial.items).toEqual([
      expect.objectContaining({ status: 1, totalFee: fee, settledAmount: E(0.5), unsettledAmount: fee - E(0.5) }),
    ])
    expect(p.unsettledFee(address)).toBe(fee - E(0.5))
    const afterPartial = await serving(t.devnet, t.rpc).getAccount(address, p.providerAddress)
    expect(afterPartial.balance).toBe(0n)

    await mined(ledger.transferFund(p.providerAddress, INFERENCE_SERVICE_NAME, E(1)))
    // The second round through the loopback admin route.
    const res = await fetch(`${p.url}/admin/settle`, { method: "POST" })
    expect(res.status).toBe(200)
    const rest = (await res.json()) as { items: Array<{ status: number; settledAmount: string; nonce: string }> }
    expect(rest.items).toEqual([expect.objectContaining({ status: 0, settledAmount: String(fee - E(0.5)) })])
    const final = await serving(t.devnet, t.rpc).getAccount(address, p.providerAddress)
    expect(final.balance).toBe(E(1) - (fee - E(0.5)))
    expect(final.nonce).toBe(BigInt(rest.items[0]?.nonce ?? 0))
    expect(final.nonce).toBeGreaterThan(afterPartial.nonce)
    expect(p.unsettledFee(address)).toBe(0n)
  })
})
