import { createServer, type Server } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { freePort } from "./ports.js"

const servers: Server[] = []
const listenOn = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const server = createServer()
    servers.push(server)
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => resolve())
  })

describe("freePort", () => {
  afterEach(() => {
    for (const s of servers.splice(0)) s.close()
  })

  it("gives a port that is released: a server can listen on it next", async () => {
    const port = await freePort()
    expect(port).toBeGreaterThan(0)
    await expect(listenOn(port)).resolves.toBeUndefined()
  })

  it("never gives a port that is held: while one is listening, the next is another", async () => {
    const held = await freePort()
    await listenOn(held)
    expect(await freePort()).not.toBe(held)
    await expect(listenOn(held)).rejects.toMatchObject({ code: "EADDRINUSE" })
  })
})
