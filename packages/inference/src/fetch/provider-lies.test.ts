/**
 * Lies a provider's own TEE signs (hostile-provider review): the signature is genuine and binds the bytes, but what
 * it says must still match what the provider registered and what it can claim on chain. Real anvil, real contracts,
 * the 2026-broker emulator over HTTP.
 */
import { describe, expect, it } from "vitest"
import { useTestDevnet, withFaults } from "../testing/fixture.js"
import type { ExchangeResult } from "./adapter.js"

const t = useTestDevnet({
  inferenceProviders: 1,
  inferenceBrokers: [{ providerType: "centralized", providerIdentity: "openai" }],
  ledger: "10",
  acknowledge: { fund: "3" },
})

describe("a provider's TEE signs something other than what it registered", () => {
  it("a centralized provider whose signature carries no routing proof is not verified", async () => {
    const p = t.provider
    for (const stream of [false, true]) {
      let exchange: ExchangeResult | undefined
      const f = t.user.client.fetch(p.providerAddress, { onExchange: (x) => (exchange = x) })
      const body = JSON.stringify({ model: p.model, messages: [{ role: "user", content: "who answered?" }], stream })
      const outcome = await withFaults(p, { omitRoutingProof: true }, async () => {
        const res = await f(`${p.url}/v1/proxy/chat/completions`, { method: "POST", body })
        return res.text()
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(outcome).toMatchObject({
        _tag: "MalformedResponseSignature",
        reason: expect.stringMatching(/routing proof/),
      })
      expect(exchange?.level).toBeUndefined()
      expect(exchange?.record.verdict).toBe("MalformedResponseSignature")
    }
  })
})
