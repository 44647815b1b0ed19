/** Local TCP ports for processes that must be told theirs before they start (anvil, a devnet, a test's child). */
import { createServer } from "node:net"

/** A port on 127.0.0.1 that was free a moment ago: bound by the system's choice, then released. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("the system gave no port"))))
    })
  })
