import type { ZgError } from "@0g-compute/core"
import { pseudoRandomBytes } from "@0g-compute/core/testing"
import { downloadBytes, type SegmentUnavailable, uploadBytes } from "@0g-compute/storage"
import { Redacted } from "effect"
import { Contract, NonceManager, Wallet } from "ethers"
import { beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"
import { loadStorageArtifact, type StorageDevnet, startStorageDevnet } from "./index.js"

describe("our client against the storage devnet (2 replicas)", () => {
  const chain = useStorageChain({ nodes: 2 })
  let signer: NonceManager
  const opts = () => ({
    indexerUrl: chain.devnet.indexerUrl,
    flowAddress: chain.devnet.flowAddress,
    pollIntervalMs: 20,
  })

  beforeAll(async () => {
    signer = new NonceManager(new Wallet(Redacted.value(deriveAccount(5).privateKey), chain.provider))
  })

  it("uploads once, is not paid twice, and downloads byte-identical with verified proofs", async () => {
    const data = pseudoRandomBytes(1024 * 1024 + 1, 7)
    const phases = new Set<string>()
    const first = await uploadBytes(data, { ...opts(), signer, onProgress: (p) => phases.add(p.phase) })
    expect(first.alreadyStored).toBe(false)
    expect(first.fee).toBe(4608n * 1_000_000_000n)
    expect(first.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect([...phases]).toEqual(expect.arrayContaining(["hash", "submit", "wait-tx", "upload", "finalize"]))
    for (const node of chain.devnet.nodes) expect(node.file(first.root)?.finalized).toBe(true)

    const flow = new Contract(chain.devnet.flowAddress, loadStorageArtifact("DevnetFlow").abi as never, chain.provider)
    const before = (await flow.getFunction("submissionIndex").staticCall()) as bigint
    const again = await uploadBytes(data, { ...opts(), signer })
    expect(again).toMatchObject({ root: first.root, txSeq: first.txSeq, alreadyStored: true, fee: 0n })
    expect(again.txHash).toBeUndefined()
    expect(await flow.getFunction("submissionIndex").staticCall()).toBe(before)

    const seen: number[] = []
    const back = await downloadBytes(first.root, { ...opts(), onProgress: (p) => seen.push(p.segmentsDone) })
    expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true)
    expect(seen.at(-1)).toBe(5)
  })

  it("recovers a corrupted or dropped segment from the other node, and refuses when every copy is bad", async () => {
    const data = pseudoRandomBytes(3 * 262144 + 1000, 11)
    const { root } = await uploadBytes(data, { ...opts(), signer })
    const [a, b] = chain.devnet.nodes as [StorageDevnet["nodes"][0], StorageDevnet["nodes"][0]]
    try {
      a.faults.corruptSegment(root, 1)
      b.faults.dropSegment(root, 2)
      const back = await downloadBytes(root, opts())
      expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true)

      a.faults.reset()
      b.faults.reset()
      a.faults.fail("http")
      const fromB = await downloadBytes(root, opts())
      expect(Buffer.from(fromB).equals(Buffer.from(data))).toBe(true)
      a.faults.reset()

      a.faults.corruptSegment(root, 1)
      b.faults.corruptSegment(root, 1)
      const err = (await downloadBytes(root, opts()).catch((e: unknown) => e)) as SegmentUnavailable
      expect(err._tag).toBe("SegmentUnavailable")
      expect(err.segment).toBe(1)
      expect(err.reasons.join("\n")).toContain("failed verification")
    } finally {
      a.faults.reset()
      b.faults.reset()
    }
  })

  it("fails with typed errors: unknown root, wrong pinned Flow, no endpoints, fee cap, nodes that never see the tx", async () => {
    const tag = (p: Promise<unknown>) =>
      p.then(
        () => "resolved",
        (e: ZgError) => e._tag,
      )
    expect(await tag(downloadBytes(`0x${"ab".repeat(32)}`, opts()))).toBe("NoNodeHasFile")
    const data = pseudoRandomBytes(5000, 3)
    expect(await tag(uploadBytes(data, { ...opts(), signer, flowAddress: `0x${"12".repeat(20)}` }))).toBe(
      "FlowAddressMismatch",
    )
    expect(await tag(uploadBytes(data, { signer }))).toBe("NoStorageNodes")
    expect(await tag(uploadBytes(data, { ...opts(), signer, maxFee: 1n }))).toBe("StorageFeeAboveMax")
    const big = pseudoRandomBytes(8 * 262144, 21)
    const { root } = await uploadBytes(big, { ...opts(), signer })
    const ac = new AbortController()
    const aborted = downloadBytes(root, { ...opts(), concurrency: 1, signal: ac.signal, onProgress: () => ac.abort() })
    expect(await tag(aborted)).toBe("StorageAborted")
    const nodes = chain.devnet.nodes
    const timeout = uploadBytes(data, {
      ...opts(),
      signer,
      waitTimeoutMs: 300,
      onProgress: (p) => {
        if (p.phase === "submit") for (const n of nodes) n.faults.fail("http")
      },
    })
    try {
      expect(await tag(timeout)).toBe("StorageTimeout")
    } finally {
      for (const n of nodes) n.faults.reset()
    }
  })

  it("routes segments by shard (nodes 0/2 and 1/2) and downloads from both", async () => {
    const sharded = await startStorageDevnet({
      rpcUrl: chain.anvil.rpcUrl,
      nodes: [
        { shardId: 0, numShard: 2 },
        { shardId: 1, numShard: 2 },
      ],
    })
    try {
      const data = pseudoRandomBytes(5 * 262144 + 9, 5)
      const o = {
        indexerUrl: sharded.indexerUrl,
        flowAddress: sharded.flowAddress,
        marketAddress: sharded.marketAddress as string,
        pollIntervalMs: 20,
      }
      const { root } = await uploadBytes(data, { ...o, signer })
      for (const n of sharded.nodes) expect(n.file(root)).toMatchObject({ finalized: true, uploadedSegNum: 3 })
      expect(Buffer.from(await downloadBytes(root, o)).equals(Buffer.from(data))).toBe(true)
    } finally {
      await sharded.stop()
    }
  })
})
