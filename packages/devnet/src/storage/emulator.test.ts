import {
  computeRoot,
  type FeeTooLow,
  type FileMerkle,
  loadKeccak,
  payerLayer,
  proofToJson,
  SegmentTree,
  segmentWireLength,
  submitFile,
  type TxReverted,
  toBase64,
} from "@0g-compute/storage"
import { Effect, Redacted } from "effect"
import { Contract, NonceManager, Wallet } from "ethers"
import { beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"
import { SOLC_VERSION, storageSourceHash } from "./compile.mjs"
import { loadStorageArtifact, type StorageDevnet } from "./index.js"

const PRICE = 1_000_000_000n

const rpc = async (url: string, method: string, params?: unknown[]) => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", method, id: 17325784534567892, ...(params ? { params } : {}) }),
  })
  expect(res.status).toBe(200)
  return (await res.json()) as {
    id: number
    result?: unknown
    error?: { code: number; message: string; data?: string }
  }
}

describe("storage devnet: contracts and node JSON-RPC", () => {
  const chain = useStorageChain({ pricePerSector: PRICE })
  let signer: NonceManager
  let node: string

  beforeAll(async () => {
    signer = new NonceManager(new Wallet(Redacted.value(deriveAccount(5).privateKey), chain.provider))
    node = (chain.devnet.nodes[0] as StorageDevnet["nodes"][0]).url
  })

  it("committed artifacts match the Solidity sources", () => {
    for (const name of ["DevnetFlow", "DevnetMarket"] as const) {
      expect(loadStorageArtifact(name).sourceHash).toBe(storageSourceHash(SOLC_VERSION))
    }
  })

  it("Flow places the first 1 MiB + 1 file at entry 4096, refuses underpayment and invalid submissions", async () => {
    const m = await computeRoot(new Uint8Array(1024 * 1024 + 1).fill(3))
    const fee = BigInt(m.layout.paddedChunks) * PRICE
    const paying = payerLayer(signer)
    const low = (await Effect.runPromise(
      submitFile(chain.devnet.flowAddress, m, fee - 1n).pipe(Effect.flip, Effect.provide(paying)),
    )) as FeeTooLow
    expect(low).toMatchObject({ _tag: "FeeTooLow", required: fee, paid: fee - 1n })

    const bad: FileMerkle = { ...m, nodes: [...m.nodes].reverse() }
    const invalid = (await Effect.runPromise(
      submitFile(chain.devnet.flowAddress, bad, fee).pipe(Effect.flip, Effect.provide(paying)),
    )) as TxReverted
    expect(invalid._tag).toBe("TxReverted")
    expect(invalid.reason).toContain("Invalid submission")

    const ok = await Effect.runPromise(submitFile(chain.devnet.flowAddress, m, fee).pipe(Effect.provide(paying)))
    expect(ok).toMatchObject({ txSeq: 0, startEntryIndex: 4096, fee })
    const flow = new Contract(chain.devnet.flowAddress, loadStorageArtifact("DevnetFlow").abi as never, chain.provider)
    expect(await flow.getFunction("currentLength").staticCall()).toBe(4096n + 4096n + 512n)

    const info = await rpc(node, "zgs_getFileInfoByTxSeq", [0])
    expect(info.result).toMatchObject({
      finalized: false,
      tx: { dataMerkleRoot: m.root, size: 1024 * 1024 + 1, startEntryIndex: 4096, seq: 0 },
    })
    expect((info.result as { tx: { merkleNodes: unknown } }).tx.merkleNodes).toEqual(
      m.nodes.map((n) => [n.height + 1, n.root]),
    )
  })

  it("answers with the node's verbatim errors and echoes float ids", async () => {
    const data = new Uint8Array(1024 * 1024 + 1).fill(3)
    const m = await computeRoot(data)
    const tree = new SegmentTree(await loadKeccak(), m.segmentRoots)
    const wire = (index: number) => {
      const out = new Uint8Array(segmentWireLength(m.layout, index))
      out.set(data.subarray(index * 262144, index * 262144 + out.length))
      return out
    }
    const seg = (index: number, over: Record<string, unknown> = {}) => ({
      root: m.root,
      data: toBase64(wire(index)),
      index,
      proof: proofToJson(tree.proof(index)),
      fileSize: data.length,
      ...over,
    })
    const expectError = async (params: unknown[], message: string, detail: string) => {
      const r = await rpc(node, "zgs_uploadSegmentsByTxSeq", params)
      expect(r.error).toMatchObject({ message, data: detail })
    }
    const status = await rpc(node, "zgs_getStatus")
    expect(status.id).toBe(17325784534567892)
    expect(status.result).toMatchObject({ networkIdentity: { flowAddress: chain.devnet.flowAddress, chainId: 31337 } })
    expect((await rpc(node, "zgs_getShardConfig")).result).toEqual({ shardId: 0, numShard: 1 })

    await expectError(
      [[seg(0, { fileSize: 5 })], 0],
      "Invalid params: file_size",
      "segment file size not matched with tx file size",
    )
    await expectError(
      [[seg(0, { root: `0x${"11".repeat(32)}` })], 0],
      "Internal error",
      "data root and tx seq not match",
    )
    await expectError([[seg(0, { index: 9 })], 0], "Invalid params: index", "index out of bound")
    await expectError([[seg(1, { index: 0 })], 0], "Invalid params: proof", "proof position mismatch")
    const other = toBase64(new Uint8Array(262144).fill(7))
    await expectError([[seg(0, { data: other })], 0], "Invalid params: proof", "proof leaf does not match the data")
    await expectError([[seg(0, { data: "" })], 0], "Invalid params: data", "data is empty")
    await expectError(
      [[seg(4, { data: toBase64(new Uint8Array(512)) })], 0],
      "Invalid params: data",
      "invalid data length",
    )

    for (let i = 0; i < 5; i++) expect((await rpc(node, "zgs_uploadSegmentsByTxSeq", [[seg(i)], 0])).result).toBeNull()
    expect((await rpc(node, "zgs_uploadSegmentsByTxSeq", [[seg(4)], 0])).error).toMatchObject({
      message: "Invalid params: root",
      data: "already uploaded and finalized",
    })
    expect((await rpc(node, "zgs_checkFileFinalized", [0])).result).toBe(true)

    const dl = await rpc(node, "zgs_downloadSegmentByTxSeq", [0, 4096, 4097])
    expect(Buffer.from(dl.result as string, "base64")).toEqual(Buffer.concat([Buffer.from([3]), Buffer.alloc(255)]))
    expect((await rpc(node, "zgs_downloadSegmentByTxSeq", [0, 5, 5])).error?.data).toBe("invalid chunk index")
    expect((await rpc(node, "zgs_downloadSegmentByTxSeq", [0, 0, 1025])).error?.data).toBe(
      "exceeds maximum chunks 1024",
    )
    const withProof = (await rpc(node, "zgs_downloadSegmentWithProofByTxSeq", [0, 4])).result as {
      proof: { lemma: string[] }
    }
    expect(withProof.proof).toEqual(proofToJson(tree.proof(4)))
    expect((await rpc(chain.devnet.indexerUrl, "indexer_getFileLocations", [m.root])).result).toEqual([
      expect.objectContaining({ url: node, config: { shardId: 0, numShard: 1 } }),
    ])
    expect((await rpc(chain.devnet.indexerUrl, "indexer_getFileLocations", [`0x${"22".repeat(32)}`])).result).toEqual(
      [],
    )
  })
})
