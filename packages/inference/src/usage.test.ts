import { describe, expect, it } from "vitest"
import { makeUsageMeter, type UsageRecord } from "./usage.js"

const rec = (i: number) =>
  ({
    requestId: String(i),
    provider: "0xP",
    model: "m",
    chatId: undefined,
    stream: false,
    promptTokens: 1,
    completionTokens: 1,
    inputFee: 0n,
    outputFee: 0n,
    fee: 1n,
    verdict: "Verified",
    startedAt: 0,
    durationMs: 0,
  }) as unknown as UsageRecord

describe("usage ring", () => {
  it("keeps the most recent `keep` records in order; totals cover all", () => {
    const m = makeUsageMeter(3)
    for (let i = 0; i < 8; i++) m.record(rec(i))
    expect(m.records().map((r) => r.requestId)).toEqual(["5", "6", "7"])
    expect(m.summary().total.requests).toBe(8)
    const none = makeUsageMeter(0)
    none.record(rec(1))
    expect(none.records()).toEqual([])
  })
})
