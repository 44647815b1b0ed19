/**
 * The gateway's budget against a provider that bills by input-length tiers (registered on chain at its base price,
 * as the broker registers a single-model tiered service): each request reserves the dearest price the provider's
 * published plan can bill, so a request whose worst case exceeds the cap is refused before anything is sent, and
 * one that fits is billed within its reservation.
 */
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { useTestDevnet } from "../../testing/fixture.js"

// 0.004 0G: a million output tokens at the on-chain 2 gwei (0.002 0G) fit twice; at the 3× tier (0.006 0G) they do not.
const CAP = 4_000_000_000_000_000n

const t = useTestDevnet({
  inference: {
    billing: {
      tiers: [
        { maxInputTokens: 4, inputMultiplier: 1, outputMultiplier: 1 },
        { maxInputTokens: 0, inputMultiplier: 3, outputMultiplier: 3 },
      ],
    },
  },
  ledger: "10",
  acknowledge: { fund: "3" },
  gateway: (t) => ({ providers: [t.provider.providerAddress], spendingCap: CAP }),
  openai: true,
})

describe("budget reservations at the provider's worst-case tier", () => {
  it("refuses before sending a request whose dearest tier exceeds the cap (it would fit at on-chain prices)", async () => {
    const err = await t.openai.chat.completions
      .create({
        model: t.provider.model,
        max_tokens: 1_000_000,
        messages: [{ role: "user", content: "one two three four five six" }],
      })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 402 })
    expect(t.provider.unsettledFee(t.user.address)).toBe(0n)
  })

  it("admits one that fits at the worst case; the tiered fee stays within its reservation", async () => {
    const r = await t.openai.chat.completions.create({
      model: t.provider.model,
      max_tokens: 20,
      messages: [{ role: "user", content: "one two three four five six" }],
    })
    expect(r.choices[0]?.message.content).toBe("Echo: one two three four five six")
    const usage = (await (
      await fetch(`${t.gateway.url}/v1/usage`, {
        headers: { authorization: `Bearer ${Redacted.value(t.gateway.token)}` },
      })
    ).json()) as { spent: string; overruns: number }
    // 6 prompt tokens (tier 2: 3 gwei), 7 completion tokens (3 × 2 gwei).
    expect(BigInt(usage.spent)).toBe(6n * 3_000_000_000n + 7n * 6_000_000_000n)
    expect(BigInt(usage.spent)).toBe(t.provider.unsettledFee(t.user.address))
    expect(usage.overruns).toBe(0)
  })
})
