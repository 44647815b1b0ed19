/**
 * The Effect face of the verifying fetch (`InferenceRequests.exchange` / `exchangeStream`) against an emulated provider
 * over real HTTP: a verified answer with its exchange result, and every failure a typed failure in the error channel
 * (never a defect, never a wide error), including verification failures that surface only at the end of a stream.
 */
import type { InferenceFaults } from "@0g-compute/devnet"
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { InferenceRequests } from "../requests.js"
import { useTestDevnet, withFaults } from "../testing/fixture.js"
import { INFERENCE_FETCH_ERROR_TAGS, isInferenceFetchError } from "./exchange.js"

const t = useTestDevnet({ ledger: "10", acknowledge: { fund: "2" } })

const chat = (stream: boolean) => ({
  path: "/v1/proxy/chat/completions",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ model: t.provider.model, messages: [{ role: "user", content: "exchange face" }], stream }),
})

const exchange = (stream: boolean) =>
  t.user.client.run(InferenceRequests.use((r) => r.exchange(t.provider.providerAddress, chat(stream))))

/** The typed failure of `effect`: `Effect.flip` only sees failures, so a defect would reject instead. */
const failure = <A, E>(effect: Effect.Effect<A, E, InferenceRequests>) => t.user.client.run(Effect.flip(effect))

const withFault = <T>(faults: InferenceFaults, f: () => Promise<T>): Promise<T> => withFaults(t.provider, faults, f)

describe("InferenceRequests.exchange", () => {
  it("a chat: the verified body and its exchange result (level, verdict, fee) in the reply", async () => {
    const reply = await exchange(false)
    expect(reply.status).toBe(200)
    const doc = JSON.parse(reply.text) as { choices: Array<{ message: { content: string } }> }
    expect(doc.choices[0]?.message.content.length).toBeGreaterThan(0)
    expect(reply.headers.get("x-zg-verified")).toBe("Verified")
    expect(reply.exchange).toMatchObject({ level: "bytes-bound", record: { verdict: "Verified", stream: false } })
    expect(reply.exchange?.record.fee).toBeGreaterThan(0n)
  })

  it("a streamed chat is read to its end ([DONE] included), then its result is there", async () => {
    const reply = await exchange(true)
    expect(reply.text).toContain("data: [DONE]")
    expect(reply.exchange).toMatchObject({ level: "bytes-bound", record: { verdict: "Verified", stream: true } })
  })

  it("a flipped response byte: ResponseTampered as a typed failure, plain and streamed", async () => {
    const provider = t.provider.providerAddress
    const plain = await withFault({ flipResponseByte: true }, () =>
      failure(InferenceRequests.use((r) => r.exchange(provider, chat(false)))),
    )
    expect(plain).toMatchObject({ _tag: "ResponseTampered", provider })
    const streamed = await withFault({ flipResponseByte: true }, () =>
      failure(InferenceRequests.use((r) => r.exchange(provider, chat(true)))),
    )
    expect(streamed).toMatchObject({ _tag: "ResponseTampered", provider })
  })

  it("exchangeStream: the bytes arrive, then the stream fails typed where verification fails", async () => {
    const provider = t.provider.providerAddress
    const chunks: Array<Uint8Array> = []
    const error = await withFault({ flipResponseByte: true }, () =>
      failure(
        InferenceRequests.use((r) => r.exchangeStream(provider, chat(true))).pipe(
          Effect.flatMap((s) => Stream.runForEach(s.body, (c) => Effect.sync(() => chunks.push(c)))),
        ),
      ),
    )
    expect(error).toMatchObject({ _tag: "ResponseTampered" })
    expect(chunks.length).toBeGreaterThan(0)
  })

  it("exchangeStream of a good stream ends with [DONE] and the exchange result", async () => {
    const { text, result } = await t.user.client.run(
      Effect.gen(function* () {
        const s = yield* InferenceRequests.use((r) => r.exchangeStream(t.provider.providerAddress, chat(true)))
        const text = yield* s.body.pipe(Stream.decodeText, Stream.mkString)
        return { text, result: s.exchange() }
      }),
    )
    expect(text).toContain("data: [DONE]")
    expect(result?.record.verdict).toBe("Verified")
  })

  it("an exchange Effect run again reports each run's own result (a held stream's too, raced replies' too)", async () => {
    const provider = t.provider.providerAddress
    const idOf = (x: { readonly headers: Headers }) => x.headers.get("x-zg-request-id")
    const { streams, replies } = await t.user.client.run(
      Effect.gen(function* () {
        // One Effect value each, run twice: the runs must not share state.
        const requests = yield* InferenceRequests
        const again = requests.exchangeStream(provider, chat(true))
        const first = yield* again
        yield* Stream.runDrain(first.body)
        const second = yield* again
        yield* Stream.runDrain(second.body)
        const reply = requests.exchange(provider, chat(false))
        const replies = yield* Effect.all([reply, reply], { concurrency: 2 })
        return { streams: [first, second], replies }
      }),
    )
    for (const s of streams) expect(s.exchange()?.record.requestId).toBe(idOf(s))
    for (const r of replies) expect(r.exchange?.record.requestId).toBe(idOf(r))
    expect(new Set([...streams, ...replies].map(idOf)).size).toBe(4)
  })

  it("a URL outside the provider's service: UrlNotForProvider before anything is sent", async () => {
    const provider = t.provider.providerAddress
    const before = t.provider.unsettledFee(t.user.address)
    const error = await failure(
      InferenceRequests.use((r) => r.exchange(provider, { ...chat(false), path: "http://127.0.0.1:9/v1/proxy/x" })),
    )
    expect(error).toMatchObject({ _tag: "UrlNotForProvider", provider })
    expect(t.provider.unsettledFee(t.user.address)).toBe(before)
  })
})

describe("isInferenceFetchError", () => {
  it("recognises the union's tags only, on errors", () => {
    expect(INFERENCE_FETCH_ERROR_TAGS).toContain("ResponseTampered")
    const tagged = (tag: string) => Object.assign(new Error("x"), { _tag: tag })
    expect(isInferenceFetchError(tagged("ResponseTampered"))).toBe(true)
    expect(isInferenceFetchError(tagged("SomethingElse"))).toBe(false)
    expect(isInferenceFetchError({ _tag: "ResponseTampered" })).toBe(false)
  })
})
