/** The lifecycle every emulated server shares: listen on 127.0.0.1, stop without waiting for idle kept-alive sockets. */
import type { Server } from "node:http"

/** Listens on `port` of 127.0.0.1 (0: a free one) and resolves with the port bound; a bind error rejects. */
export const listenLoopback = (server: Server, port = 0): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject)
      const a = server.address()
      resolve(typeof a === "object" && a !== null ? a.port : port)
    })
  })

/** Stops `server`, dropping its open connections too, so a kept-alive or stalled one cannot hold the close. */
export const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
