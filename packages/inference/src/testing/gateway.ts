/** Client-side helpers for tests of the local gateway: its bearer token on fetch, node:http and the OpenAI client. */
import { type IncomingHttpHeaders, request } from "node:http"
import { Redacted } from "effect"
import OpenAI from "openai"
import type { Gateway } from "../node/gateway/server.js"

const auth = (g: Gateway) => `Bearer ${Redacted.value(g.token)}`

/** A chat request body for the devnet's echo model; `extra` adds or overrides fields. */
export const chatBody = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: "devnet-echo-1", messages: [{ role: "user", content }], ...extra })

/** POSTs `body` to the gateway's chat route with its token. */
export const post = (g: Gateway, body: string, signal?: AbortSignal) =>
  fetch(`${g.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: auth(g), "content-type": "application/json" },
    body,
    ...(signal === undefined ? {} : { signal }),
  })

export interface RawResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
  readonly trailers: Record<string, string | undefined>
}

/**
 * A POST to the gateway's chat route over node:http, for what fetch cannot do: read trailers, or send a body in
 * chunks (`write` sends it; the request ends after). Extra headers add to the token.
 */
export const rawPost = (g: Gateway, headers: Record<string, string>, write: (req: NodeJS.WritableStream) => void) =>
  new Promise<RawResponse>((resolve, reject) => {
    const u = new URL(`${g.url}/v1/chat/completions`)
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        headers: { authorization: auth(g), ...headers },
      },
      (res) => {
        let body = ""
        res.on("data", (c: Buffer) => {
          body += c.toString()
        })
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, trailers: { ...res.trailers } }),
        )
      },
    )
    req.on("error", reject)
    write(req)
    req.end()
  })

/** The official OpenAI client pointed at the gateway. */
export const gatewayOpenAI = (g: Gateway) =>
  new OpenAI({ baseURL: `${g.url}/v1`, apiKey: Redacted.value(g.token), maxRetries: 0 })

/** Streams one chat through `openai` and returns the text of its deltas. */
export const streamedText = async (openai: OpenAI, content: string, model = "devnet-echo-1") => {
  const stream = await openai.chat.completions.create({ model, messages: [{ role: "user", content }], stream: true })
  let text = ""
  for await (const c of stream) text += c.choices[0]?.delta.content ?? ""
  return text
}
