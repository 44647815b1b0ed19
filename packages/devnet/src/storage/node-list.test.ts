/**
 * An indexer whose node list repeats a node (the same URL, or the same node spelled with a trailing slash), or lists
 * what is no HTTP node at all. A repeat is not a replica: counting it would report two copies of a file that one node
 * holds; a `file:` or `data:` entry chosen first failed the whole upload although an honest node covered every shard.
 * The hostile indexer is a real JSON-RPC server listing the devnet's one honest node among those.
 */
import { failure, type LocalServer, listenLocal, pseudoRandomBytes } from "@0g-compute/core/testing"
import { downloadBytes, uploadBytes } from "@0g-compute/storage"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"

/** Answers discovery and locations with `urls`, each as a full-replica node. */
const repeatingIndexer = (urls: () => ReadonlyArray<string>) =>
  listenLocal((req, res) => {
    const parts: Buffer[] = []
    req.on("data", (c: Buffer) => parts.push(c))
    req.on("end", () => {
      const { id, method } = JSON.parse(Buffer.concat(parts).toString("utf8")) as { id: number; method: string }
      const nodes = urls().map((url) => ({ url, config: { shardId: 0, numShard: 1 }, latency: 0, since: 0 }))
      const result = method === "indexer_getShardedNodes" ? { trusted: nodes, discovered: [] } : nodes
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ jsonrpc: "2.0", id, result }))
    })
  })

describe("a node listed twice is one node", () => {
  const chain = useStorageChain()
  let indexer: LocalServer
  let listed: () => ReadonlyArray<string>
  const signer = () => new Wallet(Redacted.value(deriveAccount(6).privateKey), chain.provider)
  const node = () => chain.devnet.nodes[0]?.url ?? ""

  beforeAll(async () => {
    listed = () => [node(), node(), `${node()}/`]
    indexer = await repeatingIndexer(() => listed())
  })
  afterAll(() => indexer?.close())

  it("two replicas asked of one node listed three times: NoStorageNodes, nothing paid", async () => {
    const wallet = signer()
    const nonce = await chain.provider.getTransactionCount(wallet.address)
    const e = await failure(
      uploadBytes(pseudoRandomBytes(5000, 11), { indexerUrl: indexer.url, signer: wallet, replicas: 2 }),
    )
    expect(e).toMatchObject({ _tag: "NoStorageNodes" })
    expect(e.message).toContain("1 reachable node(s)")
    expect(await chain.provider.getTransactionCount(wallet.address)).toBe(nonce)
  })

  it("one replica through the repeating list uploads once and downloads from the one node", async () => {
    const data = pseudoRandomBytes(5000, 12)
    const { root } = await uploadBytes(data, { indexerUrl: indexer.url, signer: signer(), pollIntervalMs: 20 })
    const back = await downloadBytes(root, { indexerUrl: indexer.url })
    expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true)
  })

  it("entries that are not http(s) URLs are no nodes: the upload goes to the honest one", async () => {
    listed = () => ["file:///etc/passwd", 'data:application/json,{"jsonrpc":"2.0","id":1,"result":null}', node()]
    try {
      const data = pseudoRandomBytes(5000, 13)
      const { root } = await uploadBytes(data, { indexerUrl: indexer.url, signer: signer(), pollIntervalMs: 20 })
      expect(Buffer.from(await downloadBytes(root, { indexerUrl: indexer.url })).equals(Buffer.from(data))).toBe(true)
    } finally {
      listed = () => [node(), node(), `${node()}/`]
    }
  })
})
