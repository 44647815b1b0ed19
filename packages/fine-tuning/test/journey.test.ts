/**
 * The full journey on a devnet: list → verify and acknowledge the provider → upload → create → watch → acknowledge
 * the model (download, merkle-root and signature check) → decrypt; the decrypted zip must be the model trained on
 * this dataset. Plus the bad-input errors a user meets on the way.
 */
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { datasetExamples, trainNgramModel } from "@0g-compute/devnet/fine-tuning"
import { Redacted } from "effect"
import { keccak256, Wallet } from "ethers"
import { unzipSync } from "fflate"
import { beforeAll, describe, expect, it } from "vitest"
import { DATASET, failure, feesSettled, PARAMS, PROVIDER, type User, useHarness } from "../src/testing/harness.js"

describe("fine-tuning journey", () => {
  // The merkle-root flavour: as if the provider had uploaded the model to 0G Storage.
  const h = useHarness({ rootHash: "merkle" })
  const provider = PROVIDER
  let alice: User

  beforeAll(async () => {
    alice = await h.user()
  })

  it("lists the service and its models, and verifies the quote before acknowledging", async () => {
    const services = await alice.client.listServices()
    expect(services).toHaveLength(1)
    expect(services[0]).toMatchObject({
      provider,
      url: h.ft.url,
      teeSigner: h.ft.teeSigner,
      teeSignerAcknowledged: true,
    })
    const models = await alice.client.listModels(provider)
    expect(models.map((m) => `${m.source}:${m.name}`)).toEqual(["predefined:mock-model", "provider:mock-model"])

    const ack = await alice.client.acknowledgeProvider(provider, { allowDevnet: true })
    expect(ack.verification).toMatchObject({
      signerBound: true,
      composeHash: "match",
      devnet: true,
      quoteVerified: false,
    })
    expect(ack.funded).toBeGreaterThan(0n)
    expect(ack.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    // Already acknowledged: nothing is sent.
    expect((await alice.client.acknowledgeProvider(provider, { allowDevnet: true })).txHash).toBeUndefined()
  })

  it("names each bad input with its own typed error", async () => {
    const dataset = await h.datasetFile("bad-inputs.jsonl")
    const { datasetHash } = await alice.client.uploadDataset(provider, dataset)
    const base = { provider, model: "mock-model", datasetHash, trainingParams: PARAMS }
    expect(
      await failure(alice.client.createTask({ ...base, trainingParams: { ...PARAMS, fp16: true } })),
    ).toMatchObject({
      _tag: "MalformedTrainingConfig",
      field: "fp16",
    })
    const scientific =
      '{"neftune_noise_alpha":5,"num_train_epochs":1,"per_device_train_batch_size":2,"learning_rate":2e-4,"max_steps":3}'
    expect(await failure(alice.client.createTask({ ...base, trainingParams: scientific }))).toMatchObject({
      _tag: "MalformedTrainingConfig",
      field: "learning_rate",
    })
    expect(await failure(alice.client.createTask({ ...base, model: "gpt-5" }))).toMatchObject({
      _tag: "UnknownModel",
      available: ["mock-model"],
    })
    expect(await failure(alice.client.uploadDataset(provider, join(h.dir, "missing.jsonl")))).toMatchObject({
      _tag: "DatasetNotFound",
    })
    // No ledger: the acknowledgement cannot open the sub-account, and no task is funded without it.
    const broke = await h.user({ ledger: false })
    expect(await failure(broke.client.acknowledgeProvider(provider, { allowDevnet: true }))).toMatchObject({
      _tag: "InsufficientFunds",
      provider,
    })
    expect(await failure(broke.client.createTask({ ...base, tokens: 10 }))).toMatchObject({
      _tag: "ProviderNotAcknowledged",
      provider,
    })
    expect(
      await failure(
        alice.client.decryptModel(provider, "3f1c2b9e-8d4a-4f6b-9c0e-1a2b3c4d5e6f", { output: join(h.dir, "x.zip") }),
      ),
    ).toMatchObject({
      _tag: "DeliverableNotFound",
    })
    expect(h.ft.tasks()).toHaveLength(0) // nothing reached the provider

    // A dataset the provider does not have: the task fails in Setup and watching names the cause.
    const unknownDataset = keccak256(new TextEncoder().encode("never uploaded"))
    const orphan = await alice.client.createTask({ ...base, datasetHash: unknownDataset })
    expect(await failure(alice.client.watch(provider, orphan.taskId))).toMatchObject({
      _tag: "DatasetNotFound",
      dataset: unknownDataset,
    })
  })

  it("trains on the dataset, verifies, acknowledges and decrypts the model trained on it", async () => {
    const path = await h.datasetFile("train.jsonl")
    const uploaded = await alice.client.uploadDataset(provider, path)
    expect(uploaded.datasetHash).toBe(keccak256(new TextEncoder().encode(DATASET)))
    const created = await alice.client.createTask({
      provider,
      model: "mock-model",
      datasetHash: uploaded.datasetHash,
      trainingParams: PARAMS,
      tokens: uploaded.tokens,
    })
    const seen: Array<string> = []
    const delivered = await alice.client.watch(provider, created.taskId, { onProgress: (t) => seen.push(t.progress) })
    expect(delivered.progress).toBe("Delivered")
    expect(seen.at(-1)).toBe("Delivered")
    expect(new Set(seen).size).toBe(seen.length) // one event per change
    expect(delivered.fee).toBe(created.estimatedFee) // the devnet bills exactly the estimate
    expect((await alice.client.getLog(provider, created.taskId)).split("\n")[0]).toMatch(/creating task\.\.\.\.$/)
    expect((await alice.client.listTasks(provider)).map((t) => t.id)).toContain(created.taskId)

    // Before the acknowledgement the key is not released, and the deliverable shows as pending.
    const early = await failure(
      alice.client.decryptModel(provider, created.taskId, { output: join(h.dir, "early.zip") }),
    )
    expect(early).toMatchObject({ _tag: "SecretNotReleased", acknowledged: false })
    const pending = await alice.client.pendingDeliverables()
    expect(pending).toHaveLength(1)
    expect(pending[0]).toMatchObject({ taskId: created.taskId, level: "ok", penalized: false, penaltyPercentage: 30n })

    const encrypted = join(h.dir, "model.enc")
    const acked = await alice.client.acknowledgeModel(provider, created.taskId, { output: encrypted })
    expect(acked.matchedBy).toBe("merkle")
    expect(acked.modelRootHash).toBe(h.ft.task(created.taskId)?.modelRootHash)
    const settlement = await h.ft.waitForSettlement(created.taskId)
    expect(settlement).toMatchObject({ acknowledged: true, fee: delivered.fee })
    expect(await alice.client.pendingDeliverables()).toHaveLength(0)

    // The wrong key cannot unwrap the secret, and leaves nothing behind.
    const other = Redacted.make(Wallet.createRandom().privateKey)
    const wrong = await failure(
      alice.client.decryptModel(provider, created.taskId, {
        output: join(h.dir, "wrong.zip"),
        encryptedPath: encrypted,
        privateKey: other,
      }),
    )
    expect(wrong).toMatchObject({ _tag: "WrongDecryptionKey", taskUser: alice.wallet.address })
    expect(await h.files()).not.toContain("wrong.zip")

    const out = join(h.dir, "model.zip")
    const decrypted = await alice.client.decryptModel(provider, created.taskId, {
      output: out,
      encryptedPath: encrypted,
    })
    const zip = new Uint8Array(await readFile(out))
    expect(decrypted.bytes).toBe(zip.length)
    expect(zip).toEqual(trainNgramModel(new TextEncoder().encode(DATASET), PARAMS, "mock-model").zip)

    // Independent check of the contents: trigram counts of this dataset, times the epochs.
    const files = unzipSync(zip)
    const model = JSON.parse(new TextDecoder().decode(files["output_model/ngram_model.json"])) as {
      ngrams: Array<[string, number]>
    }
    const count = (gram: string) =>
      datasetExamples(new TextEncoder().encode(DATASET)).reduce((n, text) => n + text.split(gram).length - 1, 0)
    const counts = new Map(model.ngrams)
    expect(counts.get("the")).toBe(count("the") * PARAMS.num_train_epochs)
    expect(counts.get("Par")).toBe(2)
    expect(counts.has("zzz")).toBe(false)

    const task = await alice.client.getTask(provider, created.taskId)
    expect(task.progress).toBe("Finished")
    const iterated: Array<string> = []
    for await (const t of await alice.client.watchIterable(provider, created.taskId, { until: "Finished" })) {
      iterated.push(t.progress)
    }
    expect(iterated).toEqual(["Finished"])
    expect(await failure(alice.client.cancelTask(provider, created.taskId))).toMatchObject({
      _tag: "TaskNotCancellable",
      progress: "Finished",
    })
    expect(await feesSettled(h, alice.wallet.address)).toEqual([[created.taskId, delivered.fee, true]])
  })
})
