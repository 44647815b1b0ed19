import { type LocalServer, listenLocal, taggedHttpClient } from "@0g-compute/core/testing"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { indexer, isAlreadyFinalized, isTransient, zgs } from "./node-api.js"
import { StorageRpc } from "./transport.js"
import { decodeFileInfo, decodeShardConfig, decodeShardedNodes } from "./types.js"

/** A tiny JSON-RPC server over real HTTP whose replies are scripted per method. */
let server: LocalServer
const seen: Array<{ method: string; params: unknown; hasParams: boolean; body: string; client?: unknown }> = []
const replies: Record<string, { status?: number; body: string }> = {}

beforeAll(async () => {
  server = await listenLocal((req, res) => {
    let body = ""
    req.on("data", (c) => {
      body += c
    })
    req.on("end", () => {
      const j = JSON.parse(body) as { method: string; params?: unknown; id: number }
      seen.push({ method: j.method, params: j.params, hasParams: "params" in j, body, client: req.headers["x-client"] })
      const r = replies[j.method] ?? { body: JSON.stringify({ jsonrpc: "2.0", result: null, id: j.id }) }
      res.writeHead(r.status ?? 200, { "content-type": "application/json" })
      res.end(r.body.replace("$ID", String(j.id)))
    })
  })
})
afterAll(() => server.close())

const run = <A, E>(eff: Effect.Effect<A, E, StorageRpc>) =>
  Effect.runPromise(Effect.result(eff.pipe(Effect.provide(StorageRpc.layer({ timeoutMs: 5000 })))))

describe("JSON-RPC transport (real HTTP)", () => {
  it("omits params for getStatus and decodes the status", async () => {
    replies.zgs_getStatus = {
      body: '{"jsonrpc":"2.0","id":$ID,"result":{"connectedPeers":1,"logSyncHeight":9,"nextTxSeq":2,"networkIdentity":{"chainId":31337,"flowAddress":"0xabc"}}}',
    }
    const r = await run(zgs.getStatus(server.url))
    expect(r).toMatchObject({ _tag: "Success", success: { nextTxSeq: 2, networkIdentity: { flowAddress: "0xabc" } } })
    expect(seen.at(-1)).toMatchObject({ method: "zgs_getStatus", hasParams: false })
  })

  it("maps JSON-RPC errors, HTTP errors, bad JSON and bad shapes to NodeRpcError", async () => {
    replies.zgs_uploadSegmentsByTxSeq = {
      body: '{"jsonrpc":"2.0","id":$ID,"error":{"code":-32602,"message":"Invalid params: root","data":"already uploaded and finalized"}}',
    }
    const up = await run(zgs.uploadSegmentsByTxSeq(server.url, [], 3))
    expect(up._tag).toBe("Failure")
    if (up._tag === "Failure") {
      expect(up.failure).toMatchObject({ _tag: "NodeRpcError", code: -32602, method: "zgs_uploadSegmentsByTxSeq" })
      expect(isAlreadyFinalized(up.failure)).toBe(true)
      expect(isTransient(up.failure)).toBe(false)
    }
    replies.zgs_getShardConfig = { status: 503, body: "busy" }
    const http = await run(zgs.getShardConfig(server.url))
    expect(http._tag === "Failure" && http.failure.detail).toBe("HTTP 503")
    expect(http._tag === "Failure" && isTransient(http.failure)).toBe(true)
    replies.zgs_getFileInfo = { body: "not json" }
    const bad = await run(zgs.getFileInfo(server.url, `0x${"00".repeat(32)}`, true))
    expect(bad._tag === "Failure" && bad.failure.detail).toBe("reply is not JSON")
    replies.zgs_getFileInfoByTxSeq = { body: '{"jsonrpc":"2.0","id":$ID,"result":{"tx":5}}' }
    const shape = await run(zgs.getFileInfoByTxSeq(server.url, 1))
    expect(shape._tag === "Failure" && shape.failure.detail).toBe("unexpected result shape")
    const down = await run(zgs.getStatus("http://127.0.0.1:1"))
    expect(down._tag === "Failure" && down.failure._tag).toBe("NodeRpcError")
  })

  it("sends pre-encoded bodies unchanged and maps null locations to []", async () => {
    replies.zgs_uploadSegmentsByTxSeq = { body: '{"jsonrpc":"2.0","id":$ID,"result":null}' }
    const body = new TextEncoder().encode(
      '{"jsonrpc":"2.0","method":"zgs_uploadSegmentsByTxSeq","id":77,"params":[[],1]}',
    )
    const r = await run(zgs.uploadSegmentsEncoded(server.url, () => body))
    expect(r._tag).toBe("Success")
    expect(seen.at(-1)?.body).toBe(new TextDecoder().decode(body))
    replies.indexer_getFileLocations = { body: '{"jsonrpc":"2.0","id":$ID,"result":null}' }
    expect(await run(indexer.getFileLocations(server.url, "0x1"))).toMatchObject({ _tag: "Success", success: [] })
  })
})

describe("decoders", () => {
  it("validate shard configs, file infos and node lists", () => {
    expect(decodeShardConfig({ shardId: 1, numShard: 2 })).toEqual({ shardId: 1, numShard: 2 })
    expect(decodeShardConfig({ shardId: 2, numShard: 2 })).toBeUndefined()
    expect(decodeShardConfig({ shardId: 0, numShard: 3 })).toBeUndefined()
    const root = `0x${"AB".repeat(32)}`
    const info = decodeFileInfo({
      tx: { dataMerkleRoot: root, merkleNodes: [[1, root]], startEntryIndex: 1, size: 10, seq: 0 },
      finalized: true,
    })
    expect(info).toMatchObject({ tx: { dataMerkleRoot: root.toLowerCase() }, pruned: false, uploadedSegNum: 0 })
    expect(decodeFileInfo(null)).toBeNull()
    expect(decodeFileInfo({ finalized: true, tx: { dataMerkleRoot: "0x12" } })).toBeUndefined()
    expect(decodeShardedNodes([{ url: "u", config: { shardId: 0, numShard: 1 } }])).toEqual([
      { url: "u", config: { shardId: 0, numShard: 1 }, latency: 0, since: 0 },
    ])
    expect(decodeShardedNodes([{ url: "u" }])).toBeUndefined()
  })

  it("goes through the HttpClient the caller provides, in both body modes", async () => {
    for (const streamBodies of [true, false]) {
      const body = new TextEncoder().encode('{"jsonrpc":"2.0","method":"zgs_uploadSegmentsByTxSeq","id":5,"params":[]}')
      const r = await Effect.runPromise(
        Effect.result(
          zgs
            .uploadSegmentsEncoded(server.url, () => body)
            .pipe(
              Effect.provide(StorageRpc.layer({ timeoutMs: 5000, streamBodies })),
              Effect.provide(taggedHttpClient("caller")),
            ),
        ),
      )
      expect(r._tag).toBe("Success")
      expect(seen.at(-1)).toMatchObject({ body: new TextDecoder().decode(body), client: "caller" })
    }
  })
})
