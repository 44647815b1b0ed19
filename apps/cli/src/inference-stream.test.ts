/**
 * `inference chat --stream` when the provider's model server sends an event that is not JSON: the emulated provider
 * relays it verbatim and signs it (upstream mode), so the exchange verifies, and the CLI reports the provider's typed
 * MalformedProviderResponse in its own wording (not "unexpected failure"), in text and as a JSON document.
 */
import { createServer, type Server } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { listen, useCliDevnet } from "./testing/cli.js"

const GOOD = 'data: {"id":"m1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ok"}}]}\n\n'
const USAGE =
  'data: {"id":"m1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n'
const NOT_JSON = "data: <html>upstream hiccup</html>\n\n"
const PLAIN =
  '{"id":"m2","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"plain ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}'

/** The model server behind the provider: a plain answer, or a stream with one event that is not JSON. */
const modelServer = () =>
  createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { stream?: boolean }
      if (body.stream !== true) {
        res.writeHead(200, { "content-type": "application/json" })
        return res.end(PLAIN)
      }
      res.writeHead(200, { "content-type": "text/event-stream" })
      res.end([GOOD, NOT_JSON, USAGE, "data: [DONE]\n\n"].join(""))
    })
  })

describe("0g-compute inference chat --stream, a provider event that is not JSON", () => {
  let upstream: Server
  // Filled in before the devnet starts (the hooks run in order): the provider relays to this model server.
  const inference: { settleIntervalMs: number; upstream?: string } = { settleIntervalMs: 0 }
  beforeAll(async () => {
    upstream = modelServer()
    inference.upstream = `http://127.0.0.1:${await listen(upstream)}/v1`
  })
  const { devnet, cli, ack } = useCliDevnet({ inference }, 2)
  afterAll(() => new Promise((resolve) => upstream?.close(resolve)))

  it("a plain chat through the same provider is answered and verified", async () => {
    const provider = devnet.inference[0]?.providerAddress ?? ""
    expect((await cli(["ledger", "add", "5"])).code).toBe(0)
    expect((await ack(provider)).code).toBe(0)
    const r = await cli(["inference", "chat", "--provider", provider, "--json", "hi"])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ answer: "plain ok", usage: { verdict: "Verified" } })
  }, 120_000)

  it("streamed: MalformedProviderResponse naming the provider and the event, in the CLI's wording", async () => {
    const provider = devnet.inference[0]?.providerAddress ?? ""
    const argv = ["inference", "chat", "--provider", provider, "--stream", "hi stream"]
    const [text, json] = await Promise.all([cli(argv), cli([...argv, "--json"])])
    expect(text).toMatchObject({ code: 1, stdout: "" })
    expect(text.stderr).toMatch(new RegExp(`^error: provider ${provider} sent a malformed stream event`))
    expect(text.stderr).not.toMatch(/unexpected failure/)
    expect(JSON.parse(json.stderr).error).toMatchObject({
      _tag: "MalformedProviderResponse",
      provider,
      what: "stream event",
    })
  }, 120_000)
})
