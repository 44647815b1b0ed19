/**
 * Storage-backed transfer: the dataset goes to the 0G storage devnet (its root is the task's datasetHash, fetched by
 * the provider), the provider uploads the encrypted model there (the on-chain root is its merkle root), and the
 * client downloads it by that root with verified segment proofs before acknowledging and decrypting.
 */
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { trainNgramModel } from "@0g-compute/devnet/fine-tuning"
import { computeRoot, downloadBytes } from "@0g-compute/storage"
import { keccak256 } from "ethers"
import { describe, expect, it } from "vitest"
import { DATASET, PARAMS, PROVIDER, useHarness } from "../src/testing/harness.js"

describe("fine-tuning over 0G Storage", () => {
  const h = useHarness({}, true)

  it("uploads the dataset and fetches the model through storage, verified by root", async () => {
    const provider = PROVIDER
    const user = await h.user()
    await user.client.acknowledgeProvider(provider, { allowDevnet: true })
    const uploaded = await user.client.uploadDataset(provider, await h.datasetFile("stored.jsonl"))
    const bytes = new TextEncoder().encode(DATASET)
    expect(uploaded.via).toBe("storage")
    expect(uploaded.datasetHash).toBe((await computeRoot(bytes)).root)
    expect(uploaded.datasetHash).not.toBe(keccak256(bytes))

    const { taskId } = await user.client.createTask({
      provider,
      model: "mock-model",
      datasetHash: uploaded.datasetHash,
      trainingParams: PARAMS,
      tokens: uploaded.tokens,
    })
    await user.client.watch(provider, taskId)
    const task = h.ft.task(taskId)
    expect(task?.log.some((l) => l.includes("downloaded from 0G Storage"))).toBe(true)

    const storageOptions = { indexerUrl: h.storage?.indexerUrl ?? "", flowAddress: h.storage?.flowAddress ?? "" }
    const root = task?.modelRootHash ?? ""
    const stored = await downloadBytes(root, storageOptions)
    expect(stored).toEqual(new Uint8Array(await readFile(task?.modelPath ?? "")))

    const acked = await user.client.acknowledgeModel(provider, taskId, {
      output: join(h.dir, "stored.enc"),
      source: "storage",
    })
    expect(acked).toMatchObject({ source: "storage", matchedBy: "merkle", modelRootHash: root })
    await user.client.waitForSecret(provider, taskId)
    const out = join(h.dir, "stored.zip")
    await user.client.decryptModel(provider, taskId, { output: out, encryptedPath: acked.path })
    expect(new Uint8Array(await readFile(out))).toEqual(trainNgramModel(bytes, PARAMS, "mock-model").zip)
  })
})
