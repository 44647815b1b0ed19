/**
 * An upload's resume state is a file (by default under the shared temp dir), so it may be damaged or planted. A state
 * whose per-node list of accepted segments is not a list made the re-run of a paid upload die with a TypeError; the
 * bad list is ignored (those segments are sent again), the recorded payment is still resumed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { failure, pseudoRandomBytes } from "@0g-compute/core/testing"
import { computeRoot, downloadBytes } from "@0g-compute/storage"
import { uploadFile } from "@0g-compute/storage/node"
import { Redacted } from "effect"
import { Wallet } from "ethers"
import { afterAll, describe, expect, it } from "vitest"
import { deriveAccount } from "../accounts.js"
import { useStorageChain } from "../testing/hooks.js"

describe("a damaged upload resume state", () => {
  const chain = useStorageChain()
  const dir = mkdtempSync(join(tmpdir(), "zg-resume-state-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("is no crash: the re-run resumes the paid submit and completes", async () => {
    const node = chain.devnet.nodes[0]
    const signer = new Wallet(Redacted.value(deriveAccount(7).privateKey), chain.provider)
    const data = pseudoRandomBytes(300_000, 31)
    const path = join(dir, "data.bin")
    writeFileSync(path, data)
    const resumeDir = join(dir, "resume")
    const options = { indexerUrl: chain.devnet.indexerUrl, signer, resumeDir, pollIntervalMs: 20 }

    node?.faults.lag(true) // the node never sees the submit: the first run stops waiting for it
    expect(await failure(uploadFile(path, { ...options, waitTimeoutMs: 300 }))).toMatchObject({
      _tag: "StorageTimeout",
    })
    const statePath = join(resumeDir, `${(await computeRoot(data)).root}.json`)
    const state = JSON.parse(readFileSync(statePath, "utf8")) as { txSeq?: number }
    expect(state.txSeq).toBeTypeOf("number")
    writeFileSync(statePath, JSON.stringify({ ...state, done: { [node?.url ?? ""]: 5, other: ["x"] } }))
    const sent = await chain.provider.getTransactionCount(signer.address)

    node?.faults.lag(false)
    const result = await uploadFile(path, options)
    expect(result).toMatchObject({ txSeq: state.txSeq, fee: 0n })
    expect(await chain.provider.getTransactionCount(signer.address)).toBe(sent)
    expect(await downloadBytes(result.root, { indexerUrl: chain.devnet.indexerUrl })).toEqual(data)
  })
})
