/**
 * An indexer (or a node) that reports an absurd shard count. Node selection counts copies per residue class of the
 * largest shard count, so a claim of 2^40 shards must be refused as a malformed reply, not allocated (it died with a
 * RangeError; 2^30 would have asked for gigabytes). The hostile indexer is a real JSON-RPC server listing the devnet's
 * honest node beside the liar.
 */
import { failure, type LocalServer, listenLocal, pseudoRandomBytes } from "@0g-compute/core/testing"
import { uploadBytes } from "@0g-compute/storage"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"

/** Lists the honest node and a liar with `numShard` shards (the liar's own URL is the honest one's, slashed). */
const shardLiar = (honest: () => string, numShard: number) =>
  listenLocal((req, res) => {
    const parts: Buffer[] = []
    req.on("data", (c: Buffer) => parts.push(c))
    req.on("end", () => {
      const { id } = JSON.parse(Buffer.concat(parts).toString("utf8")) as { id: number }
      const trusted = [
        { url: `${honest()}/liar`, config: { shardId: 0, numShard }, latency: 0, since: 0 },
        { url: honest(), config: { shardId: 0, numShard: 1 }, latency: 0, since: 0 },
      ]
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ jsonrpc: "2.0", id, result: { trusted, discovered: [] } }))
    })
  })

describe("a shard count no network has", () => {
  const chain = useStorageChain()
  let indexer: LocalServer

  beforeAll(async () => {
    indexer = await shardLiar(() => chain.devnet.nodes[0]?.url ?? "", 2 ** 40)
  })
  afterAll(() => indexer?.close())

  it("is a malformed indexer reply before anything is paid, not a crash", async () => {
    const wallet = new Wallet(Redacted.value(deriveAccount(6).privateKey), chain.provider)
    const nonce = await chain.provider.getTransactionCount(wallet.address)
    const e = await failure(uploadBytes(pseudoRandomBytes(3000, 21), { indexerUrl: indexer.url, signer: wallet }))
    expect(e).toMatchObject({ _tag: "NodeRpcError", kind: "malformed", method: "indexer_getShardedNodes" })
    expect(await chain.provider.getTransactionCount(wallet.address)).toBe(nonce)
  })
})
