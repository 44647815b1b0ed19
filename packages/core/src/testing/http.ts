import { createServer, type RequestListener, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, Layer } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"

export interface LocalServer {
  readonly server: Server
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string
  /** Drops kept-alive and stalled connections too, so a test's half-sent response cannot hold the close. */
  readonly close: () => Promise<void>
}

/** A real HTTP server for `handler` on a free port of 127.0.0.1. */
export const listenLocal = async (handler: RequestListener): Promise<LocalServer> => {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export interface ScriptedServer extends LocalServer {
  /** Answers the requests from now on (a test sets it before it calls). */
  handler: RequestListener
  /** Resolves once the latest response is closed before the server finished it (the client hung up). */
  readonly closedEarly: () => Promise<void>
}

/** A local server whose handler each test sets, and which notices a response the client closed early. */
export const scriptedServer = async (): Promise<ScriptedServer> => {
  let closedEarly: Promise<void> = Promise.resolve()
  const local = await listenLocal((req, res) => {
    closedEarly = new Promise((resolve) =>
      res.on("close", () => {
        if (!res.writableFinished) resolve()
      }),
    )
    scripted.handler(req, res)
  })
  const scripted: ScriptedServer = { ...local, handler: () => undefined, closedEarly: () => closedEarly }
  return scripted
}

/**
 * Effect's fetch HttpClient adding `x-client: <value>` to every request: a server that sees the header proves the
 * code under test used the HttpClient it was given rather than its own.
 */
export const taggedHttpClient = (value: string): Layer.Layer<HttpClient.HttpClient> =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(
      Effect.service(HttpClient.HttpClient),
      HttpClient.mapRequest(HttpClientRequest.setHeader("x-client", value)),
    ),
  ).pipe(Layer.provide(FetchHttpClient.layer))
