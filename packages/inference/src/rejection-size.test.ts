/**
 * A provider's error answer is read whole (up to the request's byte ceiling, 64 MiB by default) and its `error`
 * message was matched against the broker's admission phrases as it came: a message built to make those patterns
 * backtrack (one "not acknowledge", then "tee signer" over and over) held the CPU for minutes per MiB after every
 * deadline had passed. The message is now cut to a bounded length first.
 */
import { PROVIDER_ERROR_DETAIL_MAX } from "@0g-compute/core"
import { describe, expect, it } from "vitest"
import { mapRejection } from "./http.js"

const ctx = { provider: "0xP", url: "http://p/v1/proxy/chat/completions" }

describe("a provider's error message is bounded before it is read", () => {
  it("a 4 MB message built to backtrack maps at once to its typed error, its detail cut", () => {
    const error = `not acknowledge ${"tee signer ".repeat(400_000)}`
    const e = mapRejection(ctx, 400, JSON.stringify({ error }))
    expect(e._tag).toBe("ProviderNotAcknowledged")
    const http = mapRejection(ctx, 418, JSON.stringify({ error: "x".repeat(1_000_000) }))
    expect(http).toMatchObject({ _tag: "ProviderHttpError", status: 418 })
    expect((http as { detail: string }).detail.length).toBeLessThanOrEqual(PROVIDER_ERROR_DETAIL_MAX + 1)
  }, 20_000)
})
