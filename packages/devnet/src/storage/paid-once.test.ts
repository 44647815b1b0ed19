/**
 * Issue 11, H2 and L3: a storage upload pays the Flow once per file, whatever stops it after the payment. Each test
 * stops an upload after its submit, keeps the node lagging (it has not synced the Submit log, so it cannot tell the
 * re-run that the file is paid for) until the re-run is past its payment decision, and checks to the neuron that
 * exactly one fee and one gas left the wallet and the file is complete.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { memoryTxJournal } from "@0g-compute/contracts"
import { minedReceipt } from "@0g-compute/contracts/node"
import { failure } from "@0g-compute/core/testing"
import {
  computeRoot,
  downloadBytes,
  type HashProgress,
  sectorsOf,
  type UploadProgress,
  type UploadResumeStore,
  type UploadState,
  uploadBytes,
} from "@0g-compute/storage"
import { uploadFile } from "@0g-compute/storage/node"
import { Effect, Redacted } from "effect"
import { Contract, JsonRpcProvider, Wallet } from "ethers"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { startRpcFaultProxy } from "../faults/index.js"
import { useStorageChain } from "../testing/hooks.js"
import { loadStorageArtifact, type StorageDevnet } from "./index.js"

const PRICE = 1_000_000_000n

const bytes = (size: number, seed: number) => new Uint8Array(size).map((_, i) => (i * 37 + seed) % 251)

/** A resume store in memory, as a browser app would keep one. */
const memoryStore = (): UploadResumeStore & { readonly states: Map<string, UploadState> } => {
  const states = new Map<string, UploadState>()
  return {
    states,
    load: async (root) => states.get(root),
    save: async (s) => {
      states.set(s.root, s)
    },
    clear: async (root) => {
      states.delete(root)
    },
  }
}

describe("storage upload pays the Flow once per file (issue 11 H2, L3)", () => {
  const chain = useStorageChain({ pricePerSector: PRICE })
  let payer: Wallet
  let dir: string
  const node = () => chain.devnet.nodes[0] as StorageDevnet["nodes"][0]
  const base = () => ({ indexerUrl: chain.devnet.indexerUrl, pollIntervalMs: 20, signer: payer })

  const balances = async () => ({
    wallet: await chain.provider.getBalance(payer.address),
    nonce: await chain.provider.getTransactionCount(payer.address),
    flow: await chain.provider.getBalance(chain.devnet.flowAddress),
  })

  /** The re-run: the node catches up once the upload is past its payment decision (it waits for the tx). */
  const catchUpAtWaitTx = (phases: string[]) => (p: { readonly phase: string }) => {
    phases.push(p.phase)
    if (p.phase === "wait-tx") node().faults.lag(false)
  }

  /** The fee `data` costs and the balances before its upload, with the node lagging (it has not seen the Submit). */
  const lagging = async (data: Uint8Array) => {
    const fee = sectorsOf(await computeRoot(data)) * PRICE
    const before = await balances()
    node().faults.lag(true)
    return { fee, before }
  }

  /**
   * Exactly one fee and the gas of `txHash` left the wallet; the Flow got exactly one fee. With `stored`, the file is
   * complete too: it downloads byte-identical.
   */
  const expectPaidOnce = async (
    before: Awaited<ReturnType<typeof balances>>,
    txHash: string,
    fee: bigint,
    stored?: { readonly root: string; readonly data: Uint8Array },
  ) => {
    const receipt = await chain.provider.getTransactionReceipt(txHash)
    const gas = (receipt?.gasUsed ?? 0n) * (receipt?.gasPrice ?? 0n)
    expect(gas).toBeGreaterThan(0n)
    const after = await balances()
    expect(before.wallet - after.wallet).toBe(fee + gas)
    expect(after.flow - before.flow).toBe(fee)
    expect(after.nonce).toBe(before.nonce + 1)
    if (stored !== undefined) {
      expect(await downloadBytes(stored.root, { indexerUrl: chain.devnet.indexerUrl })).toEqual(stored.data)
    }
  }

  /**
   * The first run, stopped after its submit: aborted there when `abort` is given, else by its own deadline. Returns
   * its failure and the hash of its one submit.
   */
  const stoppedAfterSubmit = async (
    upload: (onProgress: (p: HashProgress | UploadProgress) => void) => Promise<unknown>,
    abort?: AbortController,
  ) => {
    const hashes: string[] = []
    const err = await failure(
      upload((p) => {
        if (p.phase !== "submit") return
        hashes.push(p.txHash)
        abort?.abort()
      }),
    )
    expect(hashes).toHaveLength(1)
    return { err, txHash: hashes[0] as string }
  }

  beforeAll(async () => {
    payer = new Wallet(Redacted.value(deriveAccount(6).privateKey), chain.provider)
    dir = mkdtempSync(join(tmpdir(), "zg-paid-once-"))
  })
  afterEach(() => {
    for (const n of chain.devnet.nodes) n.faults.reset()
  })
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it("H2: a wait-tx timeout after the submit was mined names the tx; the re-run (new process) resumes it, no second fee", async () => {
    const data = bytes(200 * 1024, 1)
    const path = join(dir, "h2.bin")
    writeFileSync(path, data)
    const resumeDir = join(dir, "resume-h2")
    const { fee, before } = await lagging(data)

    const { err, txHash } = await stoppedAfterSubmit((onProgress) =>
      uploadFile(path, { ...base(), resumeDir, waitTimeoutMs: 300, tx: { journal: memoryTxJournal() }, onProgress }),
    )
    expect(err).toMatchObject({ _tag: "StorageTimeout", txHash })
    expect(err.message).toContain(txHash)

    // A new process: its journal is empty, the node still has not seen the Submit log, only the resume file knows.
    const phases: string[] = []
    const result = await uploadFile(path, {
      ...base(),
      resumeDir,
      tx: { journal: memoryTxJournal() },
      onProgress: catchUpAtWaitTx(phases),
    })
    expect(phases).not.toContain("fee")
    expect(phases).not.toContain("submit")
    expect(result).toMatchObject({ txHash, fee: 0n, gasFee: 0n, alreadyStored: false })
    await expectPaidOnce(before, txHash, fee, { root: result.root, data })
  })

  it("H2: Ctrl-C while waiting for the submit's receipt, then a re-run with a fresh journal: one fee, file complete", async () => {
    const data = bytes(70_000, 2)
    const store = memoryStore()
    const { fee, before } = await lagging(data)

    const abort = new AbortController()
    const { err, txHash } = await stoppedAfterSubmit(
      (onProgress) =>
        uploadBytes(data, {
          ...base(),
          resume: store,
          signal: abort.signal,
          tx: { journal: memoryTxJournal() },
          onProgress,
        }),
      abort,
    )
    expect(err).toMatchObject({ _tag: "StorageAborted", txHash })
    expect(err.message).toContain(txHash)
    expect(store.states.get((await computeRoot(data)).root)?.txHash).toBe(txHash)

    const phases: string[] = []
    const result = await uploadBytes(data, {
      ...base(),
      resume: store,
      tx: { journal: memoryTxJournal() },
      onProgress: catchUpAtWaitTx(phases),
    })
    expect(phases).not.toContain("submit")
    expect(result).toMatchObject({ txHash, fee: 0n })
    await expectPaidOnce(before, txHash, fee, { root: result.root, data })
  })

  it("H2: without a resume store, a re-run in the same process finds the mined submit in the engine's journal", async () => {
    const data = bytes(9000, 3)
    const journal = memoryTxJournal()
    const { fee, before } = await lagging(data)
    const { err, txHash } = await stoppedAfterSubmit((onProgress) =>
      uploadBytes(data, { ...base(), waitTimeoutMs: 300, tx: { journal }, onProgress }),
    )
    expect(err).toMatchObject({ _tag: "StorageTimeout", txHash })

    const phases: string[] = []
    const progress: UploadProgress[] = []
    const result = await uploadBytes(data, {
      ...base(),
      tx: { journal },
      onProgress: (p) => {
        catchUpAtWaitTx(phases)(p)
        if (p.phase === "wait-tx") progress.push(p)
      },
    })
    expect(phases).not.toContain("submit")
    expect(progress[0]).toMatchObject({ phase: "wait-tx", txHash })
    expect(result).toMatchObject({ txHash, fee: 0n })
    await expectPaidOnce(before, txHash, fee)
  })

  it("H2: a recorded payment whose receipt the RPC will not serve fails with its tx hash and is never paid again", async () => {
    const proxy = await startRpcFaultProxy({ upstream: chain.anvil.rpcUrl })
    const viaProxy = new JsonRpcProvider(proxy.url, undefined, { cacheTimeout: -1, batchMaxCount: 1 })
    viaProxy.pollingInterval = 20
    try {
      const signer = payer.connect(viaProxy)
      const data = bytes(12_000, 5)
      const store = memoryStore()
      const { fee, before } = await lagging(data)
      const abort = new AbortController()
      const { txHash } = await stoppedAfterSubmit(
        (onProgress) => uploadBytes(data, { ...base(), signer, resume: store, signal: abort.signal, onProgress }),
        abort,
      )

      proxy.setFault({ fault: { kind: "http-status", status: 503 }, methods: ["eth_getTransactionReceipt"] })
      const phases: string[] = []
      const err = await failure(
        uploadBytes(data, { ...base(), signer, resume: store, onProgress: (p) => phases.push(p.phase) }),
      )
      expect(err).toMatchObject({ _tag: "SubmitUnconfirmed", txHash })
      expect(err.message).toContain(txHash)
      expect(phases).not.toContain("submit")

      proxy.setFault(undefined)
      const result = await uploadBytes(data, {
        ...base(),
        signer,
        resume: store,
        onProgress: catchUpAtWaitTx(phases),
      })
      expect(phases).not.toContain("submit")
      expect(result).toMatchObject({ txHash, fee: 0n })
      await expectPaidOnce(before, txHash, fee)
    } finally {
      viaProxy.destroy()
      await proxy.close()
    }
  })

  it("L3: the price changes while the first submit is pending; the re-run settles that submit instead of paying again", async () => {
    const data = bytes(5000, 4)
    const merkle = await computeRoot(data)
    const fee = sectorsOf(merkle) * PRICE
    const journal = memoryTxJournal()
    const owner = new Wallet(Redacted.value(deriveAccount(9).privateKey), chain.provider)
    const market = new Contract(
      chain.devnet.marketAddress as string,
      loadStorageArtifact("DevnetMarket").abi as never,
      owner,
    )
    const before = await balances()
    node().faults.lag(true)

    // The first submit is broadcast but not mined when the upload is interrupted.
    await chain.provider.send("evm_setAutomine", [false])
    const abort = new AbortController()
    let first = ""
    try {
      const { err, txHash } = await stoppedAfterSubmit(
        (onProgress) => uploadBytes(data, { ...base(), signal: abort.signal, tx: { journal }, onProgress }),
        abort,
      )
      first = txHash
      expect(err._tag).toBe("StorageAborted")
      // Hold it back while the price halves, then let it be mined (it still pays the old fee, which covers the new
      // price): with the fee in the intent, the re-run's new fee would be another intent and a second payment.
      await chain.provider.send("anvil_dropTransaction", [first])
    } finally {
      await chain.provider.send("evm_setAutomine", [true])
    }
    await minedReceipt(market.getFunction("setPricePerSector")(PRICE / 2n))
    try {
      const raw = (await Effect.runPromise(journal.entries)).find((e) => e.hashes.includes(first))?.raws[0]
      expect(raw).toMatch(/^0x/)
      await chain.provider.send("eth_sendRawTransaction", [raw])

      const phases: string[] = []
      const result = await uploadBytes(data, { ...base(), tx: { journal }, onProgress: catchUpAtWaitTx(phases) })
      expect(result).toMatchObject({ txHash: first, fee })
      expect(phases).not.toContain("submit")
      await expectPaidOnce(before, first, fee)
    } finally {
      await minedReceipt(market.getFunction("setPricePerSector")(PRICE))
    }
  })
})
