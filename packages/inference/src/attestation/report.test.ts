/**
 * The JSON-level attestation checks on hand-made quotes: signer binding, compose hash, the broker's mock quote,
 * and the RTMR3 replay (checked against an independent computation with node:crypto).
 */
import { createHash } from "node:crypto"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { QuoteBody } from "../schemas.js"
import { quoteAssessor } from "./assessor.js"
import { composeImages } from "./pins.js"
import { parseQuoteBody, replayRtmr3, signerInReportData } from "./quote.js"
import { type AttestationOptions, assessQuote, reportAccepted, reportRefusal } from "./report.js"

const signer = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
const service = {
  provider: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  url: "http://x",
  teeSignerAddress: signer,
  teeVerifier: "dstack",
}
const reportData = (text: string) => {
  const b = new Uint8Array(64)
  b.set(new TextEncoder().encode(text))
  return Buffer.from(b).toString("base64")
}
const compose = '{"manifest_version":2,"name":"app"}'
const composeHash = createHash("sha256").update(compose).digest("hex")
const devnetQuote = (over: Partial<QuoteBody> = {}): QuoteBody => ({
  devnet: true,
  report_data: reportData(signer),
  event_log: [{ imr: 3, event: "compose-hash", event_payload: composeHash }],
  tcb_info: JSON.stringify({ app_compose: compose }),
  ...over,
})
const assess = (body: QuoteBody, options: AttestationOptions & { chainId?: bigint | undefined } = {}) =>
  Effect.runPromise(
    assessQuote(service, { body }, { chainId: 31337n, ...options, pccsUrl: "http://127.0.0.1:9", fetchedAt: 1 }),
  )

describe("JSON-level checks", () => {
  it("a consistent devnet quote has verdict devnet", async () => {
    const r = await assess(devnetQuote())
    expect(r.verdict).toBe("devnet")
    expect(r.checks.signerBound.status).toBe("pass")
    expect(r.checks.composeHash.status).toBe("pass")
  })

  it("a report_data naming another signer fails the binding and the verdict", async () => {
    const r = await assess(devnetQuote({ report_data: reportData("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC") }))
    expect(r.checks.signerBound).toMatchObject({ status: "fail", detail: expect.stringMatching(/names 0x3C44/) })
    expect(r.verdict).toBe("unverified")
    expect(r.failed).toContain("signerBound")
  })

  it("a compose hash that does not match app_compose fails", async () => {
    const r = await assess(devnetQuote({ tcb_info: { app_compose: `${compose} ` } }))
    expect(r.checks.composeHash.status).toBe("fail")
    expect(r.verdict).toBe("unverified")
  })

  it("finds tcb_info under info and parses a JSON-string event log", async () => {
    const r = await assess(
      devnetQuote({
        tcb_info: undefined as never,
        info: { tcb_info: JSON.stringify({ app_compose: compose }) },
        event_log: JSON.stringify([{ event: "compose-hash", event_payload: composeHash }]),
      }),
    )
    expect(r.checks.composeHash.status).toBe("pass")
  })

  it("the broker's mock quote is reported as mock, failing the hardware check", async () => {
    const r = await assess({ report_data: reportData(signer), intel_quote: "mock_intel_quote", event_log: [] })
    expect(r.environment).toBe("mock")
    expect(r.checks.quoteSignature.status).toBe("fail")
    expect(r.verdict).toBe("unverified")
  })

  it("reads a 42-byte report_data without padding (the broker mock) and rejects non-addresses", () => {
    expect(signerInReportData(new TextEncoder().encode(signer))).toBe(signer)
    expect(signerInReportData(new Uint8Array(64).fill(0x41))).toBeUndefined()
  })
})

describe("devnet quotes are for the devnet chain only", () => {
  it("on chain 31337 a devnet quote is a devnet verdict that allowDevnet accepts", async () => {
    const r = await assess(devnetQuote())
    expect(r.chainId).toBe(31337n)
    expect(reportRefusal(r)).toBeUndefined()
    expect(reportAccepted(r, { allowDevnet: true })).toBe(true)
  })

  it("on any other chain (or an unknown one) it fails and no opt-in accepts it", async () => {
    for (const chainId of [16661n, 16602n, undefined]) {
      const r = await assess(devnetQuote(), { chainId })
      expect(r.checks.quoteSignature).toMatchObject({ status: "fail", detail: expect.stringMatching(/only on/) })
      expect(r.verdict).toBe("unverified")
      expect(reportRefusal(r)).toMatchObject({ _tag: "AttestationRefused", reason: "devnet-quote-off-devnet" })
      expect(reportAccepted(r, { allowDevnet: true, allowUnverified: true })).toBe(false)
    }
  })
})

describe("measurement pins", () => {
  const digest = "ab".repeat(32)
  const dstackCompose = JSON.stringify({
    manifest_version: 2,
    docker_compose_file: `services:\n  vllm:\n    image: "vllm/vllm@sha256:${digest}"\n  proxy:\n    image: nginx:1.27\n`,
  })
  const dstackQuote = devnetQuote({
    event_log: [
      { imr: 3, event: "compose-hash", event_payload: createHash("sha256").update(dstackCompose).digest("hex") },
    ],
    tcb_info: { app_compose: dstackCompose },
  })

  it("nothing pinned: both pins say unpinned and fail nothing", async () => {
    const r = await assess(devnetQuote())
    expect(r.checks.composePinned.status).toBe("unpinned")
    expect(r.checks.imagePinned.status).toBe("unpinned")
    expect(r.failed).toEqual(["quoteSignature", "eventLogReplay"])
  })

  it("a pinned compose hash passes when the proven hash equals it (any case, 0x or sha256: prefix)", async () => {
    for (const pin of [composeHash, `0x${composeHash.toUpperCase()}`, `sha256:${composeHash}`]) {
      const r = await assess(devnetQuote(), { expectComposeHash: pin })
      expect(r.checks.composePinned.status).toBe("pass")
      expect(reportRefusal(r)).toBeUndefined()
    }
  })

  it("a different compose hash is refused even with allowUnverified", async () => {
    const r = await assess(devnetQuote(), { expectComposeHash: "00".repeat(32) })
    expect(r.checks.composePinned.status).toBe("fail")
    expect(r.failed).toContain("composePinned")
    expect(reportRefusal(r)).toMatchObject({ reason: "compose-hash-mismatch" })
    expect(reportAccepted(r, { allowDevnet: true, allowUnverified: true })).toBe(false)
  })

  it("a compose the quote does not prove cannot satisfy a pin, even when the event log names the pinned hash", async () => {
    // The event log claims composeHash, but app_compose was swapped: the compose check fails, so does the pin.
    const r = await assess(devnetQuote({ tcb_info: { app_compose: `${compose} ` } }), {
      expectComposeHash: composeHash,
    })
    expect(r.checks.composePinned.status).toBe("fail")
    expect(reportRefusal(r)?.reason).toBe("compose-hash-mismatch")
  })

  it("reads image references from a dstack compose and a JSON compose", () => {
    expect(composeImages(dstackCompose)).toEqual([`vllm/vllm@sha256:${digest}`, "nginx:1.27"])
    expect(composeImages(JSON.stringify({ services: { a: { image: "x/y:1" } } }))).toEqual(["x/y:1"])
  })

  it("a pinned image digest passes when the proven compose runs it, and is refused otherwise", async () => {
    const ok = await assess(dstackQuote, { expectImage: `sha256:${digest}` })
    expect(ok.checks.imagePinned).toMatchObject({ status: "pass", detail: expect.stringContaining("vllm/vllm@") })
    expect((await assess(dstackQuote, { expectImage: digest.toUpperCase() })).checks.imagePinned.status).toBe("pass")
    expect((await assess(dstackQuote, { expectImage: "nginx:1.27" })).checks.imagePinned.status).toBe("pass")
    const bad = await assess(dstackQuote, { expectImage: `sha256:${"cd".repeat(32)}` })
    expect(bad.checks.imagePinned.status).toBe("fail")
    expect(reportRefusal(bad)).toMatchObject({ reason: "image-mismatch" })
    expect(reportAccepted(bad, { allowUnverified: true })).toBe(false)
  })

  it("an unreachable quote fails a pin, and says unpinned otherwise", async () => {
    const opts = { chainId: 31337n, pccsUrl: "http://127.0.0.1:9", fetchedAt: 1 }
    const pinned = await Effect.runPromise(
      assessQuote(service, { error: "down" }, { ...opts, expectComposeHash: composeHash }),
    )
    expect(pinned.checks.composePinned.status).toBe("fail")
    expect(pinned.failed).toContain("composePinned")
    const bare = await Effect.runPromise(assessQuote(service, { error: "down" }, opts))
    expect(bare.checks.imagePinned.status).toBe("unpinned")
  })
})

describe("quoteAssessor: the same report over a quote fetched elsewhere (fine-tuning's acknowledgement)", () => {
  const assessor = quoteAssessor()
  const input = { ...service, chainId: 31337n, quote: devnetQuote() as unknown }

  it("assesses a devnet quote like the report does, with no refusal on the devnet", async () => {
    const a = await assessor(input)
    expect(a).toMatchObject({ verdict: "devnet", environment: "devnet", refusal: undefined })
    expect(a.checks.composePinned.status).toBe("unpinned")
  })

  it("names the refusals: a devnet quote off the devnet, a pinned compose hash that differs", async () => {
    expect((await assessor({ ...input, chainId: 16661n })).refusal?.reason).toBe("devnet-quote-off-devnet")
    expect((await assessor({ ...input, expectComposeHash: "ff".repeat(32) })).refusal?.reason).toBe(
      "compose-hash-mismatch",
    )
  })

  it("a quote that is not the documented JSON fails quoteFetched", async () => {
    const a = await assessor({ ...input, quote: { report_data: 42 } })
    expect(a.checks.quoteFetched.status).toBe("fail")
    expect(a.verdict).toBe("unverified")
  })
})

describe("RTMR3 replay", () => {
  const sha384 = (b: Buffer) => createHash("sha384").update(b).digest()
  const eventDigest = (type: number, name: string, payloadHex: string) => {
    const t = Buffer.alloc(4)
    t.writeUInt32LE(type)
    return sha384(
      Buffer.concat([t, Buffer.from(":"), Buffer.from(name), Buffer.from(":"), Buffer.from(payloadHex, "hex")]),
    )
  }
  const events = [
    { name: "app-id", payload: "aa".repeat(20) },
    { name: "compose-hash", payload: composeHash },
    { name: "instance-id", payload: "" },
  ]

  it("recomputes each runtime event digest and folds them like the hardware", async () => {
    let mr = Buffer.alloc(48)
    for (const e of events) mr = sha384(Buffer.concat([mr, eventDigest(0x08000001, e.name, e.payload)]))
    const log = events.map((e) => ({
      imr: 3,
      event_type: 0x08000001,
      event: e.name,
      event_payload: e.payload,
      digest: eventDigest(0x08000001, e.name, e.payload).toString("hex"),
    }))
    const q = parseQuoteBody({ event_log: [{ imr: 0, digest: "ff".repeat(48) }, ...log] })
    expect(await Effect.runPromise(replayRtmr3(q.eventLog))).toEqual({ rtmr3: mr.toString("hex"), events: 3 })
  })

  it("fails when an event's digest does not match its content", async () => {
    const q = parseQuoteBody({
      event_log: [
        { imr: 3, event_type: 0x08000001, event: "compose-hash", event_payload: composeHash, digest: "00".repeat(48) },
      ],
    })
    expect(await Effect.runPromise(replayRtmr3(q.eventLog))).toMatchObject({ error: expect.stringMatching(/digest/) })
  })
})
