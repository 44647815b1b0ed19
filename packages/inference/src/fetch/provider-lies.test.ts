/**
 * Lies a provider's own TEE signs (hostile-provider review): the signature is genuine and binds the bytes, but what
 * it says must still match what the provider registered and what it can claim on chain. Real anvil, real contracts,
 * the 2026-broker emulator over HTTP.
 */
import type { InferenceFaults } from "@0g-compute/devnet"
import { describe, expect, it, vi } from "vitest"
import { useTestDevnet, withFaults } from "../testing/fixture.js"
import type { ExchangeResult } from "./adapter.js"

const t = useTestDevnet({
  inferenceProviders: 1,
  inferenceBrokers: [{ providerType: "centralized", providerIdentity: "openai" }],
  // User 0 for the routing proof; users 1 and 2 each take one huge bill (it blocks their further requests).
  users: 3,
  ledger: "10",
  acknowledge: { fund: "3" },
})

/**
 * One chat under `faults` by user `u`: the exchange recorded, what the provider billed for it, and how the call ended
 * (undefined: the body was read; else what it rejected with).
 */
const chat = async (faults: InferenceFaults, stream: boolean, u = 0) => {
  const p = t.provider
  const user = t.users[u]
  if (user === undefined) throw new Error(`no user ${u}`)
  let exchange: ExchangeResult | undefined
  const before = p.unsettledFee(user.address)
  const records = user.client.usageRecords().length
  const f = user.client.fetch(p.providerAddress, { onExchange: (x) => (exchange = x) })
  const body = JSON.stringify({ model: p.model, messages: [{ role: "user", content: "a lie" }], stream })
  let response: Response | undefined
  const outcome = await withFaults(p, faults, async () => {
    response = await f(`${p.url}/v1/proxy/chat/completions`, { method: "POST", body })
    return response.text()
  }).then(
    () => undefined,
    (e: unknown) => e,
  )
  const billed = () => p.unsettledFee(user.address) - before
  return {
    exchange,
    billed: billed(),
    billedNow: billed,
    outcome,
    response,
    recorded: user.client.usageRecords().length - records,
  }
}

describe("a provider's TEE signs something other than what it registered", () => {
  it("a centralized provider whose signature carries no routing proof is not verified", async () => {
    for (const stream of [false, true]) {
      const { exchange, outcome } = await chat({ omitRoutingProof: true }, stream)
      expect(outcome).toMatchObject({
        _tag: "MalformedResponseSignature",
        reason: expect.stringMatching(/routing proof/),
      })
      expect(exchange?.level).toBeUndefined()
      expect(exchange?.record.verdict).toBe("MalformedResponseSignature")
    }
  })
})

describe("a 2xx other than 200 on a billed route", () => {
  it("is neither billed nor signed by the broker (it relays it): a typed provider failure, nothing recorded", async () => {
    for (const stream of [false, true]) {
      const { outcome, billed, recorded } = await chat({ upstreamStatus: 201 }, stream)
      expect(outcome).toMatchObject({ _tag: "ProviderHttpError", status: 201 })
      expect(billed).toBe(0n)
      expect(recorded).toBe(0)
    }
  })
})

describe("headers in the client's own namespace", () => {
  it("a provider's x-zg-verified / x-zg-verification-level never reach the caller as ours (stream or not)", async () => {
    const spoof = { "x-zg-verified": "Verified", "x-zg-verification-level": "bytes-bound", "x-zg-provider": "0xdead" }
    for (const stream of [true, false]) {
      // The stream's answer is flipped: its verdict can only fail, whatever a header says.
      const { response, outcome } = await chat({ spoofHeaders: spoof, flipResponseByte: stream }, stream)
      const h = response?.headers
      if (stream) {
        expect(h?.get("x-zg-verified")).toBeNull()
        expect(h?.get("x-zg-verification-level")).toBeNull()
        expect(outcome).toMatchObject({ _tag: "ResponseTampered" })
      } else {
        expect(h?.get("x-zg-verified")).toBe("Verified")
        expect(h?.get("x-zg-verification-level")).toBe("bytes-bound")
      }
      expect(h?.get("x-zg-provider")).toBe(t.provider.providerAddress)
    }
  })
})

describe("a provider's usage beyond JavaScript's safe integers", () => {
  it("2^53 + 2 completion tokens (a Go int the broker bills and signs) are recorded at the fee it can claim, not 0", async () => {
    // Written "9007199254740994" by JSON.stringify, and exact as a double: both sides read the same count.
    const tokens = 2 ** 53 + 2
    for (const [u, stream] of [
      [1, false],
      [2, true],
    ] as const) {
      const { exchange, billed } = await chat({ reportCompletionTokens: tokens }, stream, u)
      expect(billed).toBeGreaterThanOrEqual(BigInt(tokens) * t.provider.outputPrice)
      expect(exchange?.level).toBe("bytes-bound")
      expect(exchange?.record.completionTokens).toBe(tokens)
      expect(exchange?.record.fee).toBe(billed)
    }
  })
})

describe("usage the broker's Go decoding reads differently from JSON.parse", () => {
  it("a usage object under the key USAGE (Go matches keys in any case) is recorded as the broker bills it", async () => {
    for (const stream of [false, true]) {
      const { exchange, billed } = await chat({ usageKey: "USAGE", reportCompletionTokens: 50_000 }, stream)
      expect(billed).toBeGreaterThanOrEqual(50_000n * t.provider.outputPrice)
      expect(exchange?.level).toBe("bytes-bound")
      expect(exchange?.record.completionTokens).toBe(50_000)
      expect(exchange?.record.fee).toBe(billed)
      expect(exchange?.record.feeUnknown).toBeUndefined()
    }
  })

  it("usage named twice (`usage` then `Usage`: merged from the raw bytes, re-sorted in the signed ones) is a fee unknown", async () => {
    for (const stream of [false, true]) {
      const { exchange, billed } = await chat({ shadowUsage: 1_000_000 }, stream)
      // The broker merged the second object into the first as the upstream sent them: it bills the million.
      expect(billed).toBeGreaterThanOrEqual(1_000_000n * t.provider.outputPrice)
      expect(exchange?.level).toBe("bytes-bound")
      expect(exchange?.record.feeUnknown).toBe(true)
    }
  })

  it("usage sent after an error event (the broker reads on to [DONE]) is recorded, not the usage before it", async () => {
    const late = { completionTokens: 80_000, after: "errorEvent" } as const
    const { exchange, billed, outcome } = await chat({ lateUsage: late }, true)
    expect(outcome).toMatchObject({ _tag: "ProviderStreamFailed" })
    expect(billed).toBeGreaterThanOrEqual(80_000n * t.provider.outputPrice)
    expect(exchange?.record.completionTokens).toBe(80_000)
    expect(exchange?.record.fee).toBe(billed)
  })

  it("a stream cut off by us after a usage (an oversized event) is a fee unknown: the broker reads on and bills later usage", async () => {
    const late = { completionTokens: 60_000, after: "hugeEvent" } as const
    const { exchange, outcome, billedNow } = await chat({ lateUsage: late }, true)
    expect(outcome).toMatchObject({ _tag: "ProviderBodyTooLarge" })
    expect(exchange?.record.feeUnknown).toBe(true)
    // The provider reads its upstream to the end after we left, and bills the usage we never saw.
    await vi.waitFor(() => expect(billedNow()).toBeGreaterThan(60_000n * t.provider.outputPrice), { timeout: 30_000 })
  })

  it("an Anthropic-shaped answer on the chat route (the broker's LiteLLM billing) is recorded by its usage, not as 0", async () => {
    const { exchange, billed } = await chat({ anthropicShape: true, reportCompletionTokens: 40_000 }, false)
    expect(billed).toBeGreaterThanOrEqual(40_000n * t.provider.outputPrice)
    expect(exchange?.level).toBe("bytes-bound")
    expect(exchange?.record.completionTokens).toBe(40_000)
    expect(exchange?.record.fee).toBe(billed)
  })
})
