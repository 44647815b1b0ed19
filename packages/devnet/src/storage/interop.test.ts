import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { downloadFile, rootOfFile, uploadFile } from "@0g-compute/storage/node"
import { Indexer as IndexerNew, ZgFile as ZgFileNew } from "@0gfoundation/0g-ts-sdk"
import { Indexer as IndexerOld, ZgFile as ZgFileOld } from "@0glabs/0g-ts-sdk"
import { Redacted } from "effect"
import { NonceManager, Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"

const pattern = (size: number, seed: number) => new Uint8Array(size).map((_, i) => (i * 13 + seed) % 251)

describe("interop with the npm storage SDKs on the devnet", () => {
  const chain = useStorageChain()
  const dir = mkdtempSync(join(tmpdir(), "zg-interop-"))
  const wallet = (i: number) => new Wallet(Redacted.value(deriveAccount(i).privateKey), chain.provider)
  const indexerUrl = () => chain.devnet.indexerUrl
  const ours = () => ({ indexerUrl: indexerUrl(), flowAddress: chain.devnet.flowAddress, pollIntervalMs: 20 })

  beforeAll(async () => {
    vi.spyOn(console, "log").mockImplementation(() => {}) // the SDKs are chatty
  })
  afterAll(async () => {
    vi.restoreAllMocks()
    rmSync(dir, { recursive: true, force: true })
  })

  it("@0gfoundation/0g-ts-sdk 1.2.8 uploads, we download and verify", async () => {
    const path = join(dir, "sdk-up.bin")
    writeFileSync(path, pattern(2 * 262144 + 77, 3))
    const file = await ZgFileNew.fromFilePath(path)
    const [result, err] = await new IndexerNew(indexerUrl()).upload(file, chain.anvil.rpcUrl, wallet(7) as never)
    await file.close()
    expect(err).toBeNull()
    const root = (result as { rootHash: string }).rootHash
    expect(root).toBe((await rootOfFile(path)).root)
    const out = join(dir, "ours-down.bin")
    await downloadFile(root, out, ours())
    expect(readFileSync(out).equals(readFileSync(path))).toBe(true)
  })

  it("we upload, @0gfoundation/0g-ts-sdk 1.2.8 downloads byte-identical", async () => {
    const path = join(dir, "ours-up.bin")
    writeFileSync(path, pattern(3 * 262144 + 300, 5))
    const { root } = await uploadFile(path, { ...ours(), signer: new NonceManager(wallet(8)) })
    const out = join(dir, "sdk-down.bin")
    const err = await new IndexerNew(indexerUrl()).download(root, out, true)
    expect(err).toBeNull()
    expect(readFileSync(out).equals(readFileSync(path))).toBe(true)
  })

  it("@0glabs/0g-ts-sdk 0.3.3 uploads with the old submit ABI, we download and verify", async () => {
    const path = join(dir, "old-up.bin")
    writeFileSync(path, pattern(262144 + 1, 8))
    const file = await ZgFileOld.fromFilePath(path)
    const [result, err] = await new IndexerOld(indexerUrl()).upload(file, chain.anvil.rpcUrl, wallet(9) as never)
    await file.close()
    expect(err).toBeNull()
    const root = (result as { rootHash: string }).rootHash
    const out = join(dir, "old-down.bin")
    const got = await downloadFile(root, out, ours())
    expect(got.size).toBe(262144 + 1)
    expect(readFileSync(out).equals(readFileSync(path))).toBe(true)
  })
})
