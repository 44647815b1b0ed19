/**
 * A proxy on 127.0.0.1 in front of the emulated provider that forwards every request and, while `rewrite` returns a
 * function, passes each successful GET's JSON body through it: the provider lying in one field, over real HTTP. The
 * client reaches it through a `fetch` that swaps the provider's base URL for the proxy's.
 */
import { request } from "node:http"
import { type LocalServer, listenLocal } from "@0g-compute/core/testing"

/** Changes a JSON reply of `path`; return the body unchanged for the others. */
export type Rewrite = (path: string, body: unknown) => unknown

/** `stall(method, path)`: true leaves that request unanswered (a provider that hangs), false forwards it. */
export const rewritingProxy = (
  target: URL,
  rewrite: () => Rewrite | undefined,
  stall: (method: string, path: string) => boolean = () => false,
): Promise<LocalServer> =>
  listenLocal((req, res) => {
    if (stall(req.method ?? "", req.url ?? "")) return void req.resume()
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        const parts: Buffer[] = []
        up.on("data", (c: Buffer) => parts.push(c))
        up.on("end", () => {
          let body = Buffer.concat(parts)
          const change = rewrite()
          if (change !== undefined && req.method === "GET" && (up.statusCode ?? 0) < 300) {
            body = Buffer.from(JSON.stringify(change(req.url ?? "", JSON.parse(body.toString("utf8")))))
          }
          const { "content-length": _, ...headers } = up.headers
          res.writeHead(up.statusCode ?? 502, { ...headers, "content-length": String(body.length) })
          res.end(body)
        })
      },
    )
    upstream.on("error", () => res.destroy())
    req.pipe(upstream)
  })

/** A fetch that sends the provider's calls to the proxy instead. */
export const viaProxy =
  (providerUrl: string, proxy: LocalServer): typeof globalThis.fetch =>
  (input, init) =>
    globalThis.fetch(String(input).replace(providerUrl, proxy.url), init)
