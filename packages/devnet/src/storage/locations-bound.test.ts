/**
 * A hostile indexer's file locations: a list of thousands of nodes is cut to the first MAX_INDEXER_LOCATIONS, and
 * nodes that stall (far longer than the transport's deadlines here) cannot hold the download past its locate deadline.
 * The indexer and the stalling "nodes" are real HTTP servers; the honest node is the devnet's.
 */
import type { IncomingMessage } from "node:http"
import { failure, type LocalServer, listenLocal, pseudoRandomBytes } from "@0g-compute/core/testing"
import { downloadBytes, MAX_INDEXER_LOCATIONS, uploadBytes } from "@0g-compute/storage"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"

const rpcOf = (req: IncomingMessage, answer: (method: string, id: unknown) => unknown) => {
  const parts: Buffer[] = []
  req.on("data", (c: Buffer) => parts.push(c))
  req.on("end", () => {
    const { id, method } = JSON.parse(Buffer.concat(parts).toString("utf8")) as { id: unknown; method: string }
    answer(method, id)
  })
}

describe("a hostile indexer's file locations", () => {
  const chain = useStorageChain()
  const data = pseudoRandomBytes(70_000, 41)
  let root = ""
  let listed: () => ReadonlyArray<string> = () => []
  let indexer: LocalServer
  let stalling: LocalServer
  let quick: LocalServer
  let quickCalls = 0
  // Transport deadlines far beyond the test's: only the locate deadline can end a stalled node's call.
  const patient = { requestTimeoutMs: 600_000, firstByteTimeoutMs: 600_000, idleTimeoutMs: 600_000 }

  beforeAll(async () => {
    indexer = await listenLocal((req, res) =>
      rpcOf(req, (_method, id) => {
        const result = listed().map((url) => ({ url, config: { shardId: 0, numShard: 1 }, latency: 0, since: 0 }))
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ jsonrpc: "2.0", id, result }))
      }),
    )
    stalling = await listenLocal((req) => rpcOf(req, () => undefined))
    quick = await listenLocal((req, res) =>
      rpcOf(req, (_method, id) => {
        quickCalls++
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ jsonrpc: "2.0", id, result: null }))
      }),
    )
    const signer = new Wallet(Redacted.value(deriveAccount(6).privateKey), chain.provider)
    root = (await uploadBytes(data, { indexerUrl: chain.devnet.indexerUrl, signer, pollIntervalMs: 20 })).root
  })
  afterAll(async () => {
    await Promise.all([indexer?.close(), stalling?.close(), quick?.close()])
  })

  it("thousands of listed locations: only the first MAX_INDEXER_LOCATIONS are asked, then NoNodeHasFile", async () => {
    listed = () => Array.from({ length: 2000 }, (_, i) => `${quick.url}/n/${i}`)
    quickCalls = 0
    const e = await failure(downloadBytes(root, { indexerUrl: indexer.url }))
    expect(e).toMatchObject({ _tag: "NoNodeHasFile", root })
    expect((e.tried as string[]).length).toBe(MAX_INDEXER_LOCATIONS)
    expect((e.reasons as string[]).join("\n")).toContain(
      `listed 2000 locations; asked the first ${MAX_INDEXER_LOCATIONS}`,
    )
    expect(quickCalls).toBeLessThanOrEqual(2 * MAX_INDEXER_LOCATIONS)
  })

  it("nodes that stall forever do not hold the download: the honest node listed after them serves it", async () => {
    const honest = chain.devnet.nodes[0]?.url ?? ""
    listed = () => [...Array.from({ length: 20 }, (_, i) => `${stalling.url}/n/${i}`), honest]
    const back = await downloadBytes(root, { indexerUrl: indexer.url, ...patient, locateTimeoutMs: 3000 })
    expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true)
  }, 60_000)

  it("only stalling nodes: NoNodeHasFile naming the locate deadline, not a hang", async () => {
    listed = () => Array.from({ length: 12 }, (_, i) => `${stalling.url}/s/${i}`)
    const e = await failure(downloadBytes(root, { indexerUrl: indexer.url, ...patient, locateTimeoutMs: 1500 }))
    expect(e).toMatchObject({ _tag: "NoNodeHasFile", root })
    expect(e.message).toContain("did not answer within the 1500 ms deadline")
  }, 60_000)
})
