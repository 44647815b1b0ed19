/**
 * Load on the devnet: 200 concurrent requests through the OpenAI SDK all verify and the on-chain settlement equals
 * the sum of the per-request fees exactly; and a long run against an expensive provider stays funded by the
 * background top-up fiber alone (every transaction of the user during the run is one of its top-ups).
 */
import { contractInterfaces, inferenceServing } from "@0g-compute/contracts"
import type { InferenceProvider } from "@0g-compute/devnet"
import { startExtraProvider } from "@0g-compute/devnet/testing"
import OpenAI from "openai"
import { afterAll, describe, expect, it } from "vitest"
import { addLedger, type TestUser, userClient, useTestDevnet, ZG } from "../testing/fixture.js"

const t = useTestDevnet({ users: 0 })
const started: InferenceProvider[] = []
const users: TestUser[] = []
afterAll(async () => {
  for (const u of users) await u.close()
  for (const p of started) await p.stop()
})

const drain = async (s: AsyncIterable<OpenAI.ChatCompletionChunk>) => {
  let text = ""
  for await (const c of s) text += c.choices[0]?.delta.content ?? ""
  return text
}

describe("200 concurrent requests", () => {
  it("all succeed verified, and the settled on-chain total equals the sum of per-request fees", async () => {
    const provider = t.devnet.inference[0] as InferenceProvider
    const user = await userClient(t.devnet, 0)
    users.push(user)
    await addLedger(user, "10")
    await user.client.acknowledge(provider.providerAddress, { allowDevnet: true, fund: "5" })
    const openai = new OpenAI(await user.client.openAIOptions(provider.providerAddress))

    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const messages = [{ role: "user" as const, content: `request ${i} ${"w ".repeat(i % 7)}`.trim() }]
        if (i % 2 === 0) {
          const c = await openai.chat.completions.create({ model: provider.model, messages })
          return c.choices[0]?.message.content ?? ""
        }
        return drain(await openai.chat.completions.create({ model: provider.model, messages, stream: true }))
      }),
    )
    results.forEach((text, i) => {
      expect(text.startsWith(`Echo: request ${i}`)).toBe(true)
    })

    const records = user.client.usageRecords()
    expect(records).toHaveLength(200)
    expect(records.every((r) => r.verdict === "Verified")).toBe(true)
    expect(new Set(records.map((r) => r.chatId)).size).toBe(200)
    const sum = records.reduce((s, r) => s + r.fee, 0n)
    expect(sum).toBe(user.client.usage().total.fee)
    expect(provider.unsettledFee(user.address)).toBe(sum)

    const serving = inferenceServing(t.devnet.addresses.inference, user.provider)
    const before = await serving.getAccount(user.address, provider.providerAddress)
    const fromBlock = await user.provider.getBlockNumber()
    const report = await provider.settleNow()
    const after = await serving.getAccount(user.address, provider.providerAddress)
    expect(report.items.map((i) => i.status)).toEqual([0])
    expect(report.items[0]?.requests).toBe(200)
    expect(report.settled).toBe(sum)
    expect(before.balance - after.balance).toBe(sum)
    // And the chain's own record of it: TEESettlementResult(user, status 0, unsettled 0) in the settlement block.
    const logs = await user.provider.getLogs({ address: t.devnet.addresses.inference, fromBlock: fromBlock + 1 })
    const settled = logs
      .map((l) => contractInterfaces.InferenceServing.parseLog(l))
      .filter((e) => e?.name === "TEESettlementResult" && e.args.user === user.address)
    expect(settled.map((e) => [e?.args.status, e?.args.unsettledAmount])).toEqual([[0n, 0n]])
  })
})

describe("background top-up", () => {
  it("keeps an expensive sub-account funded across a long run without a transaction in the request path", async () => {
    const via = (users[0] as TestUser).provider
    const pricey = await startExtraProvider(t.devnet, via, { inputPrice: ZG("0.01"), outputPrice: ZG("0.01") })
    started.push(pricey)
    const user = await userClient(t.devnet, 1)
    users.push(user)
    await addLedger(user, "80")
    await user.client.acknowledge(pricey.providerAddress, { allowDevnet: true, fund: "1" })

    const policy = { headroom: ZG(10), wakeAfterSpend: ZG(1), intervalMs: 60_000 }
    const topUp = await user.client.startAutoTopUp(pricey.providerAddress, policy)
    expect(topUp.stats().topUps).toBe(1) // the first check brought 1 0G up to reserve + headroom
    const nonceBefore = await user.provider.getTransactionCount(user.address)

    const openai = new OpenAI(await user.client.openAIOptions(pricey.providerAddress))
    const rounds = 75
    const perRound = 4
    for (let round = 0; round < rounds; round++) {
      await Promise.all(
        Array.from({ length: perRound }, (_, k) =>
          openai.chat.completions.create({
            model: pricey.model,
            messages: [{ role: "user", content: `a b c ${round} ${k}` }],
          }),
        ),
      )
    }
    await topUp.checkNow() // settle the fiber's last wake-up before counting
    await topUp.stop()

    const spent = user.client.usage().total.fee
    expect(user.client.usage().total.requests).toBe(rounds * perRound)
    expect(user.client.usage().total.failed).toBe(0)
    expect(spent).toBeGreaterThan(ZG(25)) // ~0.09 0G per request: the 11 0G funded at start could not cover it
    const stats = topUp.stats()
    expect(stats.topUps).toBeGreaterThanOrEqual(4) // the first check plus at least three during the run
    expect(stats.lastError).toBeUndefined()
    // Every transaction the user sent during the run was a top-up by the fiber, none came from a request.
    const nonceAfter = await user.provider.getTransactionCount(user.address)
    expect(nonceAfter - nonceBefore).toBe(stats.topUps - 1)
    expect(pricey.unsettledFee(user.address)).toBe(spent)
    const status = await user.client.fundingStatus(pricey.providerAddress, policy)
    expect(status.spendable - status.unsettledFee).toBeGreaterThanOrEqual(ZG(1) + ZG(5))
  })
})
