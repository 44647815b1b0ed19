/**
 * The storage chain layer asks the RPC for its chain id even when the provider's network is static. An RPC that
 * answers something that is no chain id gets a typed RpcError, not a SyntaxError out of BigInt. The RPC is a real
 * local HTTP server.
 */
import { Chain } from "@0g-compute/core"
import { type LocalServer, listenLocal } from "@0g-compute/core/testing"
import { Effect } from "effect"
import { JsonRpcProvider, Network } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { storageChainLayer } from "./facade.js"

let rpc: LocalServer

beforeAll(async () => {
  rpc = await listenLocal((req, res) => {
    const parts: Buffer[] = []
    req.on("data", (c: Buffer) => parts.push(c))
    req.on("end", () => {
      const { id } = JSON.parse(Buffer.concat(parts).toString("utf8")) as { id: number }
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ jsonrpc: "2.0", id, result: "banana" }))
    })
  })
})
afterAll(() => rpc.close())

describe("storageChainLayer against an RPC that lies about its chain id", () => {
  it("is RpcError for eth_chainId", async () => {
    const provider = new JsonRpcProvider(rpc.url, Network.from(31337), { staticNetwork: true })
    try {
      const r = await Effect.runPromise(
        Effect.result(Effect.provide(Effect.service(Chain), storageChainLayer(provider))),
      )
      expect(r._tag).toBe("Failure")
      expect(r._tag === "Failure" ? r.failure : undefined).toMatchObject({ _tag: "RpcError", method: "eth_chainId" })
    } finally {
      provider.destroy()
    }
  })
})
