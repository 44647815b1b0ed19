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

describe("a 2xx other than 200 on a billed route", () => {
  it("is neither billed nor signed by the broker (it relays it): a typed provider failure, nothing recorded", async () => {
    const p = t.provider
    for (const stream of [false, true]) {
      const records = t.user.client.usageRecords().length
      const before = p.unsettledFee(t.user.address)
      const f = t.user.client.fetch(p.providerAddress)
      const body = JSON.stringify({ model: p.model, messages: [{ role: "user", content: "created" }], stream })
      const outcome = await withFaults(p, { upstreamStatus: 201 }, async () => {
        const res = await f(`${p.url}/v1/proxy/chat/completions`, { method: "POST", body })
        return res.text()
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(outcome).toMatchObject({ _tag: "ProviderHttpError", status: 201 })
      expect(p.unsettledFee(t.user.address)).toBe(before)
      expect(t.user.client.usageRecords().length).toBe(records)
    }
  })
})

describe("headers in the client's own namespace", () => {
  it("a provider's x-zg-verified / x-zg-verification-level never reach the caller as ours (stream or not)", async () => {
    const p = t.provider
    const spoof = { "x-zg-verified": "Verified", "x-zg-verification-level": "bytes-bound", "x-zg-provider": "0xdead" }
    for (const stream of [true, false]) {
      const f = t.user.client.fetch(p.providerAddress)
      const body = JSON.stringify({ model: p.model, messages: [{ role: "user", content: "headers" }], stream })
      // The stream's answer is flipped: its verdict can only fail, whatever a header says.
      const res = await withFaults(p, { spoofHeaders: spoof, flipResponseByte: stream }, () =>
        f(`${p.url}/v1/proxy/chat/completions`, { method: "POST", body }),
      )
      if (stream) {
        expect(res.headers.get("x-zg-verified")).toBeNull()
        expect(res.headers.get("x-zg-verification-level")).toBeNull()
        await expect(res.text()).rejects.toMatchObject({ _tag: "ResponseTampered" })
      } else {
        expect(res.headers.get("x-zg-verified")).toBe("Verified")
        expect(res.headers.get("x-zg-verification-level")).toBe("bytes-bound")
      }
      expect(res.headers.get("x-zg-provider")).toBe(p.providerAddress)
    }
  })
})

describe("a provider's usage beyond JavaScript's safe integers", () => {
  it("2^53 + 2 completion tokens (a Go int the broker bills and signs) are recorded at the fee it can claim, not 0", async () => {
    const p = t.provider
    // Written "9007199254740994" by JSON.stringify, and exact as a double: both sides read the same count.
    const tokens = 2 ** 53 + 2
    for (const [u, stream] of [
      [1, false],
      [2, true],
    ] as const) {
      const user = t.users[u]
      if (user === undefined) throw new Error(`no user ${u}`)
      let exchange: ExchangeResult | undefined
      const before = p.unsettledFee(user.address)
      const f = user.client.fetch(p.providerAddress, { onExchange: (x) => (exchange = x) })
      const body = JSON.stringify({ model: p.model, messages: [{ role: "user", content: "count" }], stream })
      await withFaults(p, { reportCompletionTokens: tokens }, async () => {
        const res = await f(`${p.url}/v1/proxy/chat/completions`, { method: "POST", body })
        return res.text()
      })
      const billed = p.unsettledFee(user.address) - before
      expect(billed).toBeGreaterThanOrEqual(BigInt(tokens) * p.outputPrice)
      expect(exchange?.level).toBe("bytes-bound")
      expect(exchange?.record.completionTokens).toBe(tokens)
      expect(exchange?.record.fee).toBe(billed)
    }
  })
})

describe("usage the broker's Go decoding reads differently from JSON.parse", () => {
  /** One chat per mode under `faults`: the exchange recorded and what the provider billed for it. */
  const chats = async (faults: InferenceFaults) => {
    const p = t.provider
    const out: Array<{ exchange: ExchangeResult | undefined; billed: bigint }> = []
    for (const stream of [false, true]) {
      let exchange: ExchangeResult | undefined
      const before = p.unsettledFee(t.user.address)
      const f = t.user.client.fetch(p.providerAddress, { onExchange: (x) => (exchange = x) })
      const body = JSON.stringify({ model: p.model, messages: [{ role: "user", content: "usage" }], stream })
      await withFaults(p, faults, async () => {
        const res = await f(`${p.url}/v1/proxy/chat/completions`, { method: "POST", body })
        return res.text()
      })
      out.push({ exchange, billed: p.unsettledFee(t.user.address) - before })
    }
    return out
  }

  it("a usage object under the key USAGE (Go matches keys in any case) is recorded as the broker bills it", async () => {
    for (const { exchange, billed } of await chats({ usageKey: "USAGE", reportCompletionTokens: 50_000 })) {
      expect(billed).toBeGreaterThanOrEqual(50_000n * t.provider.outputPrice)
      expect(exchange?.level).toBe("bytes-bound")
      expect(exchange?.record.completionTokens).toBe(50_000)
      expect(exchange?.record.fee).toBe(billed)
      expect(exchange?.record.feeUnknown).toBeUndefined()
    }
  })

  it("usage named twice (`usage` then `Usage`: merged from the raw bytes, re-sorted in the signed ones) is a fee unknown", async () => {
    for (const { exchange, billed } of await chats({ shadowUsage: 1_000_000 })) {
      // The broker merged the second object into the first as the upstream sent them: it bills the million.
      expect(billed).toBeGreaterThanOrEqual(1_000_000n * t.provider.outputPrice)
      expect(exchange?.level).toBe("bytes-bound")
      expect(exchange?.record.feeUnknown).toBe(true)
    }
  })

  it("usage sent after an error event (the broker reads on to [DONE]) is recorded, not the usage before it", async () => {
    const p = t.provider
    let exchange: ExchangeResult | undefined
    const before = p.unsettledFee(t.user.address)
    const f = t.user.client.fetch(p.providerAddress, { onExchange: (x) => (exchange = x) })
    const body = JSON.stringify({ model: p.model, messages: [{ role: "user", content: "late" }], stream: true })
    const outcome = await withFaults(p, { lateUsage: { completionTokens: 80_000, after: "errorEvent" } }, async () => {
      const res = await f(`${p.url}/v1/proxy/chat/completions`, { method: "POST", body })
      return res.text()
    }).then(
      () => undefined,
      (e: unknown) => e,
    )
    const billed = p.unsettledFee(t.user.address) - before
    expect(outcome).toMatchObject({ _tag: "ProviderStreamFailed" })
    expect(billed).toBeGreaterThanOrEqual(80_000n * p.outputPrice)
    expect(exchange?.record.completionTokens).toBe(80_000)
    expect(exchange?.record.fee).toBe(billed)
  })

  it("a stream cut off by us after a usage (an oversized event) is a fee unknown: the broker reads on and bills later usage", async () => {
    const p = t.provider
    let exchange: ExchangeResult | undefined
    const before = p.unsettledFee(t.user.address)
    const f = t.user.client.fetch(p.providerAddress, { onExchange: (x) => (exchange = x) })
    const body = JSON.stringify({ model: p.model, messages: [{ role: "user", content: "flood" }], stream: true })
    const late = { completionTokens: 60_000, after: "hugeEvent" } as const
    const outcome = await withFaults(p, { lateUsage: late }, async () => {
      const res = await f(`${p.url}/v1/proxy/chat/completions`, { method: "POST", body })
      return res.text()
    }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(outcome).toMatchObject({ _tag: "ProviderBodyTooLarge" })
    expect(exchange?.record.feeUnknown).toBe(true)
    // The provider reads its upstream to the end after we left, and bills the usage we never saw.
    await vi.waitFor(() => expect(p.unsettledFee(t.user.address) - before).toBeGreaterThan(60_000n * p.outputPrice), {
      timeout: 30_000,
    })
  })

  it("an Anthropic-shaped answer on the chat route (the broker's LiteLLM billing) is recorded by its usage, not as 0", async () => {
    const p = t.provider
    let exchange: ExchangeResult | undefined
    const before = p.unsettledFee(t.user.address)
    const f = t.user.client.fetch(p.providerAddress, { onExchange: (x) => (exchange = x) })
    const body = JSON.stringify({ model: p.model, messages: [{ role: "user", content: "claude?" }] })
    await withFaults(p, { anthropicShape: true, reportCompletionTokens: 40_000 }, async () => {
      const res = await f(`${p.url}/v1/proxy/chat/completions`, { method: "POST", body })
      return res.text()
    })
    const billed = p.unsettledFee(t.user.address) - before
    expect(billed).toBeGreaterThanOrEqual(40_000n * p.outputPrice)
    expect(exchange?.level).toBe("bytes-bound")
    expect(exchange?.record.completionTokens).toBe(40_000)
    expect(exchange?.record.fee).toBe(billed)
  })
})
