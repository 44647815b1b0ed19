/**
 * A provider naming a compose its quote does not prove (hostile-provider review): the compose-hash check must use the
 * event the RTMR3 replay binds, not any entry of that name the JSON event log happens to list first.
 */
import { createHash } from "node:crypto"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { QuoteBody } from "../schemas.js"
import { composeImages } from "./pins.js"
import { checkComposeHash, parseQuoteBody } from "./quote.js"
import { assessQuote } from "./report.js"

const signer = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex")
const real = '{"manifest_version":2,"name":"what-runs"}'
const pinned = '{"manifest_version":2,"name":"the-audited-app"}'
const reportData = () => {
  const b = new Uint8Array(64)
  b.set(new TextEncoder().encode(signer))
  return Buffer.from(b).toString("base64")
}

/** The real compose-hash event in RTMR3, and a claimed one listed first in another register. */
const forged = (over: Partial<QuoteBody> = {}): QuoteBody => ({
  devnet: true,
  report_data: reportData(),
  event_log: [
    { imr: 0, event: "compose-hash", event_payload: sha256(pinned) },
    { imr: 3, event: "compose-hash", event_payload: sha256(real) },
  ],
  tcb_info: { app_compose: pinned },
  ...over,
})

const compose = (body: QuoteBody, hardware: boolean) =>
  Effect.runPromise(checkComposeHash(parseQuoteBody(body), "dstack", hardware))

describe("the compose hash is the one the quote binds", () => {
  it("a second compose-hash entry naming another compose fails the check, with or without hardware", async () => {
    for (const hardware of [false, true]) {
      const c = await compose(forged(), hardware)
      expect(c.status).toBe("fail")
      expect(c.detail).toMatch(/2 different compose hashes/)
      expect(c.hash).toBeUndefined()
    }
  })

  it("on hardware only an RTMR3 entry counts: a compose-hash entry of another register proves nothing", async () => {
    const elsewhere = forged({ event_log: [{ imr: 0, event: "compose-hash", event_payload: sha256(pinned) }] })
    expect(await compose(elsewhere, false)).toMatchObject({ status: "pass" })
    const c = await compose(elsewhere, true)
    expect(c).toMatchObject({ status: "fail", detail: expect.stringMatching(/not an RTMR3 event/) })
    const bound = forged({ event_log: [{ imr: 3, event: "compose-hash", event_payload: sha256(pinned) }] })
    expect(await compose(bound, true)).toMatchObject({ status: "pass", hash: sha256(pinned) })
  })

  it("the report refuses the forged compose and a pin on it", async () => {
    const r = await Effect.runPromise(
      assessQuote(
        {
          provider: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
          url: "http://x",
          teeSignerAddress: signer,
          teeVerifier: "dstack",
        },
        { body: forged() },
        { chainId: 31337n, expectComposeHash: sha256(pinned), pccsUrl: "http://127.0.0.1:9", fetchedAt: 1 },
      ),
    )
    expect(r.checks.composeHash.status).toBe("fail")
    expect(r.checks.composePinned.status).toBe("fail")
    expect(r.verdict).toBe("unverified")
  })
})

describe("the images of a compose are read in time linear in its size", () => {
  it("a compose of many blank lines (or one long run of spaces) is read at once, its images found", () => {
    // The pattern this replaced (\s*-?\s* across lines) took 1.7 s for 2,000 newlines and grew with their cube.
    const yaml = `services:\n${"\n".repeat(200_000)}  app:\n    image: "vllm/vllm@sha256:${"a".repeat(64)}"\n`
    expect(composeImages(JSON.stringify({ docker_compose_file: yaml }))).toEqual([`vllm/vllm@sha256:${"a".repeat(64)}`])
    expect(composeImages(`${" ".repeat(1_000_000)}x\n  - image: nginx:1.27 # pinned\n`)).toEqual(["nginx:1.27"])
  }, 20_000)
})
