/**
 * An indexer or node URL may carry a credential (an API key in the path or query, userinfo), as RPC URLs do. The
 * error fields keep the URL for programs; the messages a CLI prints or a log keeps show scheme and host only.
 */
import { type LocalServer, listenLocal } from "@0g-compute/core/testing"
import { Effect, Layer } from "effect"
import { JsonRpcProvider, Network } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { storageConfigLayer } from "../config.js"
import { downloadBytesEffect } from "../download.js"
import { storageChainLayer } from "../facade.js"
import { paidSubmission } from "../flow.js"
import { uploadNodes } from "../locate.js"
import { zgs } from "./node-api.js"
import { StorageRpc } from "./transport.js"

let server: LocalServer
const SECRETS = ["SECRETKEY", "topsecret"]
const secretUrl = () => `${server.url}/v3/SECRETKEY?key=topsecret`

beforeAll(async () => {
  server = await listenLocal((req, res) => {
    req.resume()
    req.on("end", () => {
      res.writeHead(503)
      res.end()
    })
  })
})
afterAll(() => server.close())

const failureOf = async <A, E>(eff: Effect.Effect<A, E, never>): Promise<E & { message: string }> => {
  const r = await Effect.runPromise(Effect.result(eff))
  if (r._tag !== "Failure") throw new Error("expected a failure")
  return r.failure as E & { message: string }
}
const expectRedacted = (message: string) => {
  for (const s of SECRETS) expect(message).not.toContain(s)
  expect(message).toContain(server.url)
}

describe("URL credentials stay out of storage error messages", () => {
  it("NodeRpcError: the message shows the host only, the url field keeps the whole URL", async () => {
    const e = await failureOf(zgs.getStatus(secretUrl()).pipe(Effect.provide(StorageRpc.layer())))
    expect(e).toMatchObject({ _tag: "NodeRpcError", kind: "http", url: secretUrl() })
    expectRedacted(e.message)
  })

  it("NoNodeHasFile and NoStorageNodes, whose reasons quote the failed calls", async () => {
    const layers = (o: Parameters<typeof storageConfigLayer>[0]) =>
      Layer.merge(StorageRpc.layer(), storageConfigLayer(o))
    const download = await failureOf(
      downloadBytesEffect(`0x${"11".repeat(32)}`).pipe(
        Effect.provide(layers({ indexerUrl: secretUrl(), nodeUrls: [`${server.url}/node/SECRETKEY?key=topsecret`] })),
      ),
    )
    expect(download).toMatchObject({ _tag: "NoNodeHasFile" })
    expect(download.message).toContain("HTTP 503")
    expectRedacted(download.message)

    const upload = await failureOf(uploadNodes.pipe(Effect.provide(layers({ indexerUrl: secretUrl() }))))
    expect(upload).toMatchObject({ _tag: "NodeRpcError" })
    expectRedacted(upload.message)
  })

  it("SubmitUnconfirmed: an RPC failure reading the receipt quotes ethers' request URL, shown as the host only", async () => {
    // The chain id is served; the receipt read fails as HTTP 503, which ethers reports with the request URL.
    const rpc = await listenLocal((req, res) => {
      const parts: Buffer[] = []
      req.on("data", (c: Buffer) => parts.push(c))
      req.on("end", () => {
        const { id, method } = JSON.parse(Buffer.concat(parts).toString("utf8")) as { id: number; method: string }
        if (method !== "eth_chainId") return void res.writeHead(503).end()
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ jsonrpc: "2.0", id, result: "0x7a69" }))
      })
    })
    const provider = new JsonRpcProvider(`${rpc.url}/v3/SECRETKEY?key=topsecret`, Network.from(31337), {
      staticNetwork: true,
    })
    try {
      const merkle = { root: `0x${"22".repeat(32)}`, nodes: [] } as unknown as Parameters<typeof paidSubmission>[2]
      const e = await failureOf(
        paidSubmission(`0x${"33".repeat(32)}`, `0x${"44".repeat(20)}`, merkle, 1).pipe(
          Effect.provide(storageChainLayer(provider)),
        ),
      )
      expect(e).toMatchObject({ _tag: "SubmitUnconfirmed" })
      for (const s of SECRETS) expect(e.message).not.toContain(s)
    } finally {
      provider.destroy()
      await rpc.close()
    }
  })
})
