import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { InvalidPrivateKey, SignerRequired } from "@0g-compute/core"
import { failure, pseudoRandomBytes } from "@0g-compute/core/testing"
import {
  createStorageClient,
  EmptyFile,
  NoNodeHasFile,
  OutputExists,
  StorageAborted,
  StorageFeeAboveMax,
} from "@0g-compute/storage"
import { createStorageClient as createNodeStorageClient } from "@0g-compute/storage/node"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"

describe("createStorageClient against the storage devnet", () => {
  const chain = useStorageChain()
  const payer = deriveAccount(6)
  let dir: string
  const where = () => ({
    rpcUrl: chain.anvil.rpcUrl,
    indexerUrl: chain.devnet.indexerUrl,
    flowAddress: chain.devnet.flowAddress,
    pollIntervalMs: 20,
  })

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "zg-storage-client-"))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it("uploads with a Redacted key and downloads byte-identical; root() agrees with the upload", async () => {
    const storage = await createStorageClient({ ...where(), privateKey: payer.privateKey, network: "devnet" })
    try {
      expect(storage.address).toBe(payer.address)
      const data = pseudoRandomBytes(600_000, 3)
      const phases = new Set<string>()
      const up = await storage.upload(data, { onProgress: (p) => phases.add(p.phase) })
      expect(up).toMatchObject({ size: data.length, alreadyStored: false })
      expect(up.fee).toBeGreaterThan(0n)
      expect(up.txHash).toMatch(/^0x[0-9a-f]{64}$/)
      expect([...phases]).toEqual(expect.arrayContaining(["hash", "submit", "upload", "finalize"]))
      expect((await storage.root(data)).root).toBe(up.root)
      const back = await storage.download(up.root, { expectedSize: data.length })
      expect(Buffer.from(back).equals(Buffer.from(data))).toBe(true)
      const again = await storage.upload(new Blob([data]))
      expect(again).toMatchObject({ root: up.root, alreadyStored: true, fee: 0n })
    } finally {
      await storage.close()
    }
  })

  it("pays two uploads at once through its one engine (one nonce lock: both land, consecutive nonces)", async () => {
    const storage = await createStorageClient({ ...where(), privateKey: payer.privateKey })
    try {
      const [a, b] = await Promise.all([
        storage.upload(pseudoRandomBytes(5000, 41)),
        storage.upload(pseudoRandomBytes(7000, 43)),
      ])
      const [ta, tb] = await Promise.all([
        chain.provider.getTransaction(a.txHash as string),
        chain.provider.getTransaction(b.txHash as string),
      ])
      expect(a.root).not.toBe(b.root)
      expect(Math.abs((ta?.nonce ?? 0) - (tb?.nonce ?? 0))).toBe(1)
      expect([ta?.from, tb?.from]).toEqual([payer.address, payer.address])
    } finally {
      await storage.close()
    }
  })

  it("takes any ethers signer, connecting one without a provider to rpcUrl", async () => {
    const signer = new Wallet(Redacted.value(deriveAccount(7).privateKey))
    const storage = await createStorageClient({ ...where(), signer })
    try {
      expect(storage.address).toBe(signer.address)
      const up = await storage.upload(pseudoRandomBytes(4000, 51))
      const tx = await chain.provider.getTransaction(up.txHash as string)
      expect(tx?.from).toBe(signer.address)
    } finally {
      await storage.close()
    }
  })

  it("the Node client uploads, hashes and downloads files", async () => {
    const storage = await createNodeStorageClient({ ...where(), privateKey: Redacted.value(payer.privateKey) })
    try {
      const data = pseudoRandomBytes(300_000, 17)
      const src = join(dir, "in.bin")
      await writeFile(src, data)
      const up = await storage.uploadFile(src, { resumeDir: false })
      expect((await storage.rootOfFile(src)).root).toBe(up.root)
      const dest = join(dir, "out.bin")
      const got = await storage.downloadFile(up.root, dest)
      expect(got).toMatchObject({ root: up.root, size: data.length, path: dest })
      expect(Buffer.from(await readFile(dest)).equals(Buffer.from(data))).toBe(true)
      const exists = await failure(storage.downloadFile(up.root, dest))
      expect(exists).toBeInstanceOf(OutputExists)
      expect(exists).toMatchObject({ _tag: "OutputExists", path: dest })
    } finally {
      await storage.close()
    }
  })

  it("rejects bad input with the typed errors themselves, fields intact, the key never in them", async () => {
    const reader = await createStorageClient(where())
    try {
      expect(reader.address).toBeUndefined()
      const unsigned = await failure(reader.upload(pseudoRandomBytes(100, 1)))
      expect(unsigned).toBeInstanceOf(SignerRequired)
      const unknown = `0x${"ab".repeat(32)}`
      const missing = await failure(reader.download(unknown))
      expect(missing).toBeInstanceOf(NoNodeHasFile)
      expect(missing).toMatchObject({ _tag: "NoNodeHasFile", root: unknown })
      expect(missing.message).not.toContain("An error occurred")
      const ac = new AbortController()
      ac.abort()
      expect(await failure(reader.root(pseudoRandomBytes(100, 2), { signal: ac.signal }))).toBeInstanceOf(
        StorageAborted,
      )
    } finally {
      await reader.close()
    }

    const secret = `0x${"zz".repeat(32)}`
    const badKey = await failure(createStorageClient({ ...where(), privateKey: Redacted.make(secret) }))
    expect(badKey).toBeInstanceOf(InvalidPrivateKey)
    expect(JSON.stringify({ ...badKey, message: badKey.message })).not.toContain("zz".repeat(32))
    const wrongNet = await failure(
      createStorageClient({ ...where(), privateKey: payer.privateKey, network: "mainnet" }),
    )
    expect(wrongNet).toMatchObject({ _tag: "ChainMismatch", expected: 16661n, actual: 31337n })

    const storage = await createStorageClient({ ...where(), privateKey: payer.privateKey })
    try {
      const nonce = await chain.provider.getTransactionCount(payer.address)
      const capped = await failure(storage.upload(pseudoRandomBytes(5000, 9), { maxFee: 1n }))
      expect(capped).toBeInstanceOf(StorageFeeAboveMax)
      expect(capped).toMatchObject({ _tag: "StorageFeeAboveMax", maxFee: 1n })
      expect(capped.fee as bigint).toBeGreaterThan(1n)
      expect(await failure(storage.upload(new Uint8Array(0)))).toBeInstanceOf(EmptyFile)
      expect(await chain.provider.getTransactionCount(payer.address)).toBe(nonce) // nothing was sent
    } finally {
      await storage.close()
    }
  })
})
