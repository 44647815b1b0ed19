/** The task JSON a provider sends: amounts are decimal digits or nothing; anything else is malformed, never 0. */
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { TaskJson, toTask } from "./http.js"

const task = (fee: string, nonce = "7") => ({
  id: "6f1c2b9e-0000-4000-8000-000000000001",
  createdAt: "2026-12-05T10:00:00Z",
  userAddress: "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
  preTrainedModelHash: "0xabc",
  datasetHash: "0xdef",
  trainingParams: "{}",
  fee,
  nonce,
  progress: "Init",
})
const decode = Schema.decodeUnknownSync(TaskJson)

describe("TaskJson amounts", () => {
  it("reads digits as neuron, and an empty fee (before Setup) as 0", () => {
    expect(toTask(decode(task("1000000000000000000"))).fee).toBe(10n ** 18n)
    expect(toTask(decode(task(""))).fee).toBe(0n)
    expect(toTask(decode(task("5", "12"))).nonce).toBe(12n)
  })

  it.each(["1e18", "-5", "0x10", "1.5", " 7"])("refuses a fee of %j instead of reading it as 0", (fee) => {
    expect(() => decode(task(fee))).toThrow()
  })
})
