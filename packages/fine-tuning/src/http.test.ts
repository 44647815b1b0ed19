/**
 * The task JSON a provider sends: amounts are decimal digits or nothing; anything else is malformed, never 0. And
 * `send` against a real server: typed rejections, and the caller's HttpClient used when one is provided.
 */
import { type LocalServer, listenLocal, taggedHttpClient } from "@0g-compute/core/testing"
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ProviderEndpoint, readText, send, TaskJson, toTask } from "./http.js"

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

describe("send (provider calls on HttpClient)", () => {
  let server: LocalServer
  let ep: ProviderEndpoint
  const seen: Array<{ readonly path: string; readonly client: string | undefined; readonly type: string | undefined }> =
    []

  beforeAll(async () => {
    server = await listenLocal((req, res) => {
      seen.push({
        path: req.url ?? "",
        client: req.headers["x-client"] as string | undefined,
        type: req.headers["content-type"],
      })
      req.resume()
      req.on("end", () => {
        if (req.url === "/v1/task/pending") return void res.end("3")
        res.writeHead(400, { "content-type": "application/json" })
        res.end('{"error":"dataset too small"}')
      })
    })
    ep = { provider: "0xprovider", url: server.url, fetch: globalThis.fetch }
  })
  afterAll(() => server.close())

  it("reads a 2xx body and turns a rejection into ProviderHttpError with the broker's message", async () => {
    expect(await Effect.runPromise(Effect.flatMap(send(ep, "GET", "/task/pending"), (r) => readText(ep, r)))).toBe("3")
    const e = await Effect.runPromise(Effect.flip(send(ep, "POST", "/task", { json: { a: 1 } })))
    expect(e).toMatchObject({ _tag: "ProviderHttpError", status: 400, detail: "dataset too small" })
    expect(seen.at(-1)).toMatchObject({ path: "/v1/task", type: "application/json" })
  })

  it("goes through the HttpClient the caller provides instead of fetch", async () => {
    const r = await Effect.runPromise(
      Effect.flatMap(send(ep, "GET", "/task/pending"), (res) => readText(ep, res)).pipe(
        Effect.provide(taggedHttpClient("caller")),
      ),
    )
    expect(r).toBe("3")
    expect(seen.at(-1)).toMatchObject({ path: "/v1/task/pending", client: "caller" })
  })
})
