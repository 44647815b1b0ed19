/**
 * An indexer lists, ahead of the honest nodes, a node that is unreachable (its port refuses connections) and claims
 * shard 0 of 2. It is selected first; it used to fail the whole upload. Now it is dropped before anything is paid and
 * the honest node of the same shard takes its place: one submit, the file stored and downloadable.
 */
import { failure, type LocalServer, listenLocal, pseudoRandomBytes } from "@0g-compute/core/testing"
import { downloadBytes, uploadBytes } from "@0g-compute/storage"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"

interface Listed {
  readonly url: string
  readonly shardId: number
}

const listingIndexer = (nodes: () => ReadonlyArray<Listed>) =>
  listenLocal((req, res) => {
    const parts: Buffer[] = []
    req.on("data", (c: Buffer) => parts.push(c))
    req.on("end", () => {
      const { id } = JSON.parse(Buffer.concat(parts).toString("utf8")) as { id: number }
      const trusted = nodes().map((n) => ({
        url: n.url,
        config: { shardId: n.shardId, numShard: 2 },
        latency: 0,
        since: 0,
      }))
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify({ jsonrpc: "2.0", id, result: { trusted, discovered: [] } }))
    })
  })

describe("an unreachable node in the indexer's list", () => {
  const chain = useStorageChain({
    nodes: [
      { shardId: 0, numShard: 2 },
      { shardId: 1, numShard: 2 },
    ],
  })
  let indexer: LocalServer
  let deadUrl = ""
  let listed: () => ReadonlyArray<Listed> = () => []
  const signer = () => new Wallet(Redacted.value(deriveAccount(6).privateKey), chain.provider)
  const honest = (i: number): Listed => ({ url: chain.devnet.nodes[i]?.url ?? "", shardId: i })

  beforeAll(async () => {
    // A port that was just listening and is now closed: connections to it are refused.
    const gone = await listenLocal((_req, res) => res.end())
    deadUrl = gone.url
    await gone.close()
    indexer = await listingIndexer(() => listed())
  })
  afterAll(() => indexer?.close())

  it("is replaced by the honest node of the same shard: paid once, stored, downloadable", async () => {
    listed = () => [{ url: deadUrl, shardId: 0 }, honest(0), honest(1)]
    const wallet = signer()
    const nonce = await chain.provider.getTransactionCount(wallet.address)
    const data = pseudoRandomBytes(600_000, 91)
    const result = await uploadBytes(data, { indexerUrl: indexer.url, signer: wallet, pollIntervalMs: 20 })
    expect(result.alreadyStored).toBe(false)
    expect(result.fee).toBeGreaterThan(0n)
    expect(await chain.provider.getTransactionCount(wallet.address)).toBe(nonce + 1)
    const back = await downloadBytes(result.root, { indexerUrl: chain.devnet.indexerUrl })
    expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true)
  }, 120_000)

  it("with no other node for its shard: the unreachable node's NodeRpcError, nothing paid", async () => {
    listed = () => [{ url: deadUrl, shardId: 0 }, honest(1)]
    const wallet = signer()
    const nonce = await chain.provider.getTransactionCount(wallet.address)
    const e = await failure(
      uploadBytes(pseudoRandomBytes(5000, 92), { indexerUrl: indexer.url, signer: wallet, pollIntervalMs: 20 }),
    )
    expect(e).toMatchObject({ _tag: "NodeRpcError", url: deadUrl, method: "zgs_getStatus", kind: "network" })
    expect(await chain.provider.getTransactionCount(wallet.address)).toBe(nonce)
  }, 120_000)
})
