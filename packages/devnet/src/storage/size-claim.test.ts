/**
 * A storage node that lies about a file's size. The root does not fix the size by itself: a node can claim a size
 * whose layout has one merkle node, report the root as that node, and its file info is self-consistent. Such a claim
 * must neither outvote an honest node (the download would fail, every segment proof failing under the wrong layout)
 * nor make us allocate what it claims. The hostile node is a real JSON-RPC server in front of an honest emulated node,
 * rewriting only its `zgs_getFileInfo` answers (and, in the last test, the chain id of its `zgs_getStatus`).
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { failure, type LocalServer, listenLocal, pseudoRandomBytes } from "@0g-compute/core/testing"
import { downloadBytes, uploadBytes } from "@0g-compute/storage"
import { downloadFile } from "@0g-compute/storage/node"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"

/** Chunks of 256 bytes the liar claims: a power of two, so the claimed layout is one merkle node (the root). */
let claimedChunks = 0
let asked = 0
/** The chain id the liar reports in its status (undefined: the honest one). */
let claimedChainId: number | undefined

/** Forwards to `upstream`; a file info answer gets `claimedChunks × 256` bytes and the root as its only node. */
const lyingNode = (upstream: string) =>
  listenLocal((req, res) => {
    const parts: Buffer[] = []
    req.on("data", (c: Buffer) => parts.push(c))
    req.on("end", async () => {
      const body = Buffer.concat(parts).toString("utf8")
      const call = JSON.parse(body) as { method: string }
      asked++
      const up = await fetch(upstream, { method: "POST", body, headers: { "content-type": "application/json" } })
      const reply = (await up.json()) as {
        result?: { tx?: Record<string, unknown>; networkIdentity?: Record<string, unknown> } | null
      }
      const tx = reply.result?.tx
      const identity = reply.result?.networkIdentity
      if (call.method === "zgs_getStatus" && identity && claimedChainId !== undefined) identity.chainId = claimedChainId
      if (call.method === "zgs_getFileInfo" && tx) {
        const height = Math.log2(claimedChunks)
        tx.size = claimedChunks * 256
        tx.merkleNodes = [[height + 1, tx.dataMerkleRoot]]
      }
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify(reply))
    })
  })

describe("a node's size claim is proven before it is used", () => {
  const chain = useStorageChain()
  const data = pseudoRandomBytes(70_000, 7)
  let root = ""
  let liar: LocalServer
  let dir = ""
  const honest = () => chain.devnet.nodes[0]?.url ?? ""

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "zg-size-claim-"))
    const signer = new Wallet(Redacted.value(deriveAccount(6).privateKey), chain.provider)
    root = (await uploadBytes(data, { indexerUrl: chain.devnet.indexerUrl, signer, pollIntervalMs: 20 })).root
    liar = await lyingNode(honest())
  })
  afterAll(async () => {
    await liar?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it("a liar listed first does not outvote the honest node: the download is the file", async () => {
    claimedChunks = 4096 // 1 MiB, four segments
    const nodeUrls = [liar.url, honest()]
    const bytes = await downloadBytes(root, { nodeUrls })
    expect(Buffer.from(bytes).equals(Buffer.from(data))).toBe(true)

    const dest = join(dir, "tie.bin")
    const result = await downloadFile(root, dest, { nodeUrls })
    expect(result.size).toBe(data.length)
    expect((await readFile(dest)).equals(Buffer.from(data))).toBe(true)
    expect(await readdir(dir)).toEqual(["tie.bin"])
  })

  it("a liar alone claiming 256 GiB: NoNodeHasFile naming the failed size proof, nothing allocated or written", async () => {
    claimedChunks = 2 ** 30
    const e = await failure(downloadBytes(root, { nodeUrls: [liar.url] }))
    expect(e).toMatchObject({ _tag: "NoNodeHasFile", root, tried: [liar.url] })
    expect(String(e.reasons)).toContain(`size ${2 ** 38}`)

    const before = asked
    const dest = join(dir, "huge.bin")
    const again = await failure(downloadFile(root, dest, { nodeUrls: [liar.url] }))
    expect(again).toMatchObject({ _tag: "NoNodeHasFile", root })
    expect(asked - before).toBeLessThan(10) // file info, shard config, one segment: not a million segment requests
    expect((await readdir(dir)).filter((f) => f.startsWith("huge.bin"))).toEqual([])
  })

  it("a size the caller vouches for that no memory holds: FileTooLargeForMemory, not a RangeError", async () => {
    claimedChunks = 2 ** 25 // 8 GiB, more than one typed array holds
    const e = await failure(downloadBytes(root, { nodeUrls: [liar.url], expectedSize: 2 ** 33 }))
    expect(e).toMatchObject({ _tag: "FileTooLargeForMemory", root, size: 2 ** 33 })
    expect(e.message).toContain("downloadFile")
  })

  it("a status whose chain id is no integer: a malformed reply before anything is paid, not a RangeError", async () => {
    claimedChainId = 31337.5
    try {
      const signer = new Wallet(Redacted.value(deriveAccount(6).privateKey), chain.provider)
      const nonce = await chain.provider.getTransactionCount(signer.address)
      const e = await failure(uploadBytes(pseudoRandomBytes(5000, 8), { nodeUrls: [liar.url], signer }))
      expect(e).toMatchObject({ _tag: "NodeRpcError", kind: "malformed", method: "zgs_getStatus" })
      expect(await chain.provider.getTransactionCount(signer.address)).toBe(nonce)
    } finally {
      claimedChainId = undefined
    }
  })
})
