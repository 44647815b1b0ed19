/**
 * An OpenAI-compatible model for the emulated providers to forward to, so a test sees exactly what a provider's model
 * received and decides what usage it reports: echoes the last message, answers a stream as two chunks and `[DONE]`.
 */
import { createServer } from "node:http"

export interface Usage {
  readonly prompt_tokens: number
  readonly completion_tokens: number
  readonly total_tokens: number
}

export interface EchoUpstream {
  /** The base URL to give the devnet (`inference.upstream`). */
  readonly url: string
  /** Every request body received, in order. */
  readonly received: Array<Record<string, unknown>>
  readonly close: () => Promise<void>
}

/** `usage` says what each request reports (default 10 prompt and 20 completion tokens, whatever the limits). */
export const startEchoUpstream = (
  usage: (body: Record<string, unknown>) => Usage = () => ({
    prompt_tokens: 10,
    completion_tokens: 20,
    total_tokens: 30,
  }),
): Promise<EchoUpstream> =>
  new Promise((resolve) => {
    const received: Array<Record<string, unknown>> = []
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>
        received.push(body)
        const messages = body.messages as Array<{ content: string }>
        const text = `Echo: ${messages.at(-1)?.content ?? ""}`
        if (body.stream !== true) {
          res.writeHead(200, { "content-type": "application/json" })
          const choice = { index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }
          return res.end(
            JSON.stringify({
              id: "up",
              object: "chat.completion",
              model: body.model,
              choices: [choice],
              usage: usage(body),
            }),
          )
        }
        res.writeHead(200, { "content-type": "text/event-stream" })
        const chunk = (o: object) =>
          res.write(`data: ${JSON.stringify({ id: "up", object: "chat.completion.chunk", ...o })}\n\n`)
        chunk({ choices: [{ index: 0, delta: { content: text } }] })
        chunk({ choices: [], usage: usage(body) })
        res.end("data: [DONE]\n\n")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const a = server.address()
      resolve({
        url: `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}/v1`,
        received,
        close: () => new Promise<void>((r) => server.close(() => r())),
      })
    })
  })
