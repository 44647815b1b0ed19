import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { NodeRpcError, UploadFailed } from "@0g-compute/storage"
import { downloadFile, uploadFile } from "@0g-compute/storage/node"
import { Redacted } from "effect"
import { NonceManager, Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"
import type { StorageDevnet } from "./index.js"

const pattern = (size: number, seed: number) => new Uint8Array(size).map((_, i) => (i * 7 + seed) % 251)

describe("file upload/download with resume (node entry)", () => {
  const chain = useStorageChain({ nodes: 2 })
  let signer: NonceManager
  const dir = mkdtempSync(join(tmpdir(), "zg-files-"))
  const opts = () => ({
    indexerUrl: chain.devnet.indexerUrl,
    flowAddress: chain.devnet.flowAddress,
    pollIntervalMs: 20,
    resumeDir: join(dir, "resume"),
  })

  beforeAll(async () => {
    signer = new NonceManager(new Wallet(Redacted.value(deriveAccount(6).privateKey), chain.provider))
  })
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
  })

  it("an interrupted upload resumes without paying again and skips accepted segments", async () => {
    const path = join(dir, "up.bin")
    writeFileSync(path, pattern(10 * 262144 + 5, 1))
    const node = chain.devnet.nodes[0] as StorageDevnet["nodes"][0]
    let uploaded = 0
    let paidIn: string | undefined
    const first = await uploadFile(path, {
      ...opts(),
      signer,
      concurrency: 1,
      segmentsPerRequest: 2,
      onProgress: (p) => {
        if (p.phase === "submit") paidIn = p.txHash
        if (p.phase !== "upload") return
        uploaded = p.segmentsDone
        if (uploaded >= 4) node.faults.fail("rpc")
      },
    }).catch((e: unknown) => e as UploadFailed)
    node.faults.reset()
    expect((first as UploadFailed)._tag).toBe("UploadFailed")
    expect(uploaded).toBe(4)

    const totals: number[] = []
    const second = await uploadFile(path, {
      ...opts(),
      signer,
      onProgress: (p) => {
        if (p.phase === "upload") totals.push(p.segmentsTotal)
        if (p.phase === "submit") throw new Error("paid twice")
      },
    })
    expect(second.alreadyStored).toBe(false)
    // The result names the earlier run's payment; this call paid nothing.
    expect(second).toMatchObject({ txHash: paidIn, fee: 0n, gasFee: 0n })
    expect(paidIn).toMatch(/^0x[0-9a-f]{64}$/)
    expect(totals.every((t) => t === 11 - 4)).toBe(true)
    expect(node.file(second.root)?.finalized).toBe(true)

    const out = join(dir, "down.bin")
    const got = await downloadFile(second.root, out, opts())
    expect(got).toMatchObject({ size: 10 * 262144 + 5, resumedSegments: 0 })
    expect(readFileSync(out).equals(readFileSync(path))).toBe(true)
    const exists = (await downloadFile(second.root, out, opts()).catch((e: unknown) => e)) as { _tag: string }
    expect(exists._tag).toBe("OutputExists")
  })

  it("an interrupted download resumes by segment and verifies the whole root before renaming", async () => {
    const path = join(dir, "src2.bin")
    writeFileSync(path, pattern(6 * 262144 + 1234, 9))
    const { root } = await uploadFile(path, { ...opts(), signer })
    const out = join(dir, "down2.bin")
    for (const n of chain.devnet.nodes) n.faults.dropSegment(root, 5)
    const failed = (await downloadFile(root, out, { ...opts(), attempts: 1 }).catch((e: unknown) => e)) as NodeRpcError
    expect(failed._tag).toBe("SegmentUnavailable")
    expect(readFileSync(`${out}.zgpart.json`, "utf8")).toContain(root)
    for (const n of chain.devnet.nodes) n.faults.reset()

    const done = await downloadFile(root, out, opts())
    expect(done.resumedSegments).toBe(6)
    expect(readFileSync(out).equals(readFileSync(path))).toBe(true)
    expect(() => readFileSync(`${out}.zgpart`)).toThrow()
  })
})
