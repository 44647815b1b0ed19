/**
 * A transcription provider's usage as the broker bills it (speech_to_text.go), against lies a plain JSON reading
 * gets wrong: an absurd duration the broker caps at 99 hours (the client recorded more than it can claim), and a
 * duration sent as a string, which the broker's flexFloat64 bills (the client recorded a word estimate instead).
 */
import { describe, expect, it } from "vitest"
import type { ServiceView } from "../service-view.js"
import { MAX_BILLABLE_SECONDS, mediaBill } from "./media.js"

const price = (perToken: bigint) => ({ perToken, perTokenZG: "", perMillionZG: "" })
const stt = { provider: "0xP", serviceType: "speech-to-text", inputPrice: price(3n), outputPrice: price(5n) }
const service = stt as unknown as ServiceView
const bill = (json: unknown) => mediaBill(service, "speech-to-text", json, JSON.stringify(json))

describe("transcription billing as the broker bills it", () => {
  it("caps a duration at 99 hours (maxBillableSeconds), from usage or verbose_json", () => {
    for (const json of [{ usage: { type: "duration", seconds: 1e12 } }, { text: "hi", duration: 1e308 }]) {
      expect(bill(json)).toMatchObject({ audioSeconds: MAX_BILLABLE_SECONDS, fee: 3n * BigInt(MAX_BILLABLE_SECONDS) })
    }
    expect(bill({ usage: { type: "duration", seconds: 0.2 } })).toMatchObject({ audioSeconds: 1, fee: 3n })
  })

  it("reads a duration sent as a string (flexFloat64); a string Go refuses leaves the word estimate", () => {
    expect(bill({ usage: { type: "duration", seconds: " 206.6 " } })).toMatchObject({ audioSeconds: 207, fee: 621n })
    expect(bill({ text: "x", duration: "60" })).toMatchObject({ audioSeconds: 60, fee: 180n })
    const refused = { text: "two words", usage: { type: "duration", seconds: "Inf" } }
    const words = JSON.stringify(refused).split(/\s+/).length
    expect(bill(refused).audioSeconds).toBeUndefined()
    expect(bill(refused).completionTokens).toBe(words * 2)
    expect(bill({ usage: { type: "duration", seconds: "" } }).audioSeconds).toBeUndefined()
  })

  it("reads the body as Go decodes it: keys in any case, a repeated usage merged, a count Go refuses fails it", () => {
    const billText = (text: string) => mediaBill(service, "speech-to-text", JSON.parse(text), text)
    expect(billText('{"text":"hi","USAGE":{"Type":"duration","SECONDS":3600}}')).toMatchObject({
      audioSeconds: 3600,
      fee: 3n * 3600n,
    })
    expect(billText('{"Duration":"120"}')).toMatchObject({ audioSeconds: 120 })
    // usage then Usage: Go decodes both into the one struct, the later seconds winning.
    expect(billText('{"usage":{"type":"duration","seconds":1},"Usage":{"seconds":500}}')).toMatchObject({
      audioSeconds: 500,
    })
    expect(billText('{"usage":{"type":"tokens","input_tokens":7,"output_tokens":2}}')).toMatchObject({
      promptTokens: 7,
      completionTokens: 2,
      fee: 7n * 3n + 2n * 5n,
    })
    const refused = '{"text":"a b c","usage":{"type":"tokens","input_tokens":7.5}}'
    expect(billText(refused)).toMatchObject({ completionTokens: 2 * refused.split(/\s+/).length })
  })
})
