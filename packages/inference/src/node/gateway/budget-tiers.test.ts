/**
 * The gateway's budget against a provider that bills by input-length tiers (registered on chain at its base price,
 * as the broker registers a single-model tiered service): each request reserves the dearest price the provider's
 * published plan can bill, so a request whose worst case exceeds the cap is refused before anything is sent, and
 * one that fits is billed within its reservation.
 */
import type { Devnet, InferenceProvider } from "@0g-compute/devnet"
import { Redacted } from "effect"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { addLedger, startTestDevnet, type TestUser, userClient } from "../../test-util/fixture.js"
import { type Gateway, startGateway } from "./server.js"

let devnet: Devnet
let provider: InferenceProvider
let user: TestUser
let gateway: Gateway
let openai: OpenAI
// 0.004 0G: a million output tokens at the on-chain 2 gwei (0.002 0G) fit twice; at the 3× tier (0.006 0G) they do not.
const CAP = 4_000_000_000_000_000n

beforeAll(async () => {
  devnet = await startTestDevnet({
    inference: {
      billing: {
        tiers: [
          { maxInputTokens: 4, inputMultiplier: 1, outputMultiplier: 1 },
          { maxInputTokens: 0, inputMultiplier: 3, outputMultiplier: 3 },
        ],
      },
    },
  })
  provider = devnet.inference[0] as InferenceProvider
  user = await userClient(devnet, 0)
  await addLedger(user, "10")
  await user.client.acknowledge(provider.providerAddress, { allowDevnet: true, fund: "3" })
  gateway = await startGateway({ client: user.client, providers: [provider.providerAddress], spendingCap: CAP })
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: Redacted.value(gateway.token), maxRetries: 0 })
})
afterAll(async () => {
  await gateway?.stop()
  await user?.close()
  await devnet?.stop()
})

describe("budget reservations at the provider's worst-case tier", () => {
  it("refuses before sending a request whose dearest tier exceeds the cap (it would fit at on-chain prices)", async () => {
    const err = await openai.chat.completions
      .create({
        model: provider.model,
        max_tokens: 1_000_000,
        messages: [{ role: "user", content: "one two three four five six" }],
      })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 402 })
    expect(provider.unsettledFee(user.address)).toBe(0n)
  })

  it("admits one that fits at the worst case; the tiered fee stays within its reservation", async () => {
    const r = await openai.chat.completions.create({
      model: provider.model,
      max_tokens: 20,
      messages: [{ role: "user", content: "one two three four five six" }],
    })
    expect(r.choices[0]?.message.content).toBe("Echo: one two three four five six")
    const usage = (await (
      await fetch(`${gateway.url}/v1/usage`, {
        headers: { authorization: `Bearer ${Redacted.value(gateway.token)}` },
      })
    ).json()) as { spent: string; overruns: number }
    // 6 prompt tokens (tier 2: 3 gwei), 7 completion tokens (3 × 2 gwei).
    expect(BigInt(usage.spent)).toBe(6n * 3_000_000_000n + 7n * 6_000_000_000n)
    expect(BigInt(usage.spent)).toBe(provider.unsettledFee(user.address))
    expect(usage.overruns).toBe(0)
  })
})
