/**
 * Every fault switch of the emulated provider is refused with its own typed error and no acknowledgement; decryption
 * of a bad file leaves no plaintext; an unacknowledged delivery ends in the penalty settlement, observed on chain.
 */
import { copyFile, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { FaultSwitches } from "@0g-compute/devnet/fine-tuning"
import { describe, expect, it } from "vitest"
import { CHUNK_SIZE, failure, feesSettled, PARAMS, PROVIDER, type User, useHarness } from "../src/testing/harness.js"

describe("fine-tuning faults", () => {
  const h = useHarness()
  const provider = PROVIDER

  /** A new user whose task is delivered while `faults` are switched on. */
  const delivered = async (faults: FaultSwitches) => {
    h.ft.setFaults(faults)
    const user = await h.user()
    await user.client.acknowledgeProvider(provider, { allowDevnet: true })
    const { datasetHash, tokens } = await user.client.uploadDataset(provider, await h.datasetFile("data.jsonl"))
    const { taskId } = await user.client.createTask({
      provider,
      model: "mock-model",
      datasetHash,
      trainingParams: PARAMS,
      tokens,
    })
    await user.client.watch(provider, taskId)
    return { user, taskId }
  }
  const acknowledged = async (user: User, taskId: string) =>
    (await user.client.getDeliverable(provider, taskId)).acknowledged
  let refused: { user: User; taskId: string }

  it("a quote that does not bind the on-chain TEE signer: refused, nothing sent on chain", async () => {
    h.ft.setFaults({ wrongQuoteSigner: true })
    const user = await h.user()
    const e = await failure(user.client.acknowledgeProvider(provider, { allowDevnet: true }))
    expect(e).toMatchObject({ _tag: "QuoteSignerMismatch", provider, onChain: h.ft.teeSigner })
    expect(await h.rpc.getTransactionCount(user.wallet.address)).toBe(1) // only the ledger creation
    h.ft.setFaults({})
    expect((await user.client.verifyProvider(provider)).signerBound).toBe(true)
  })

  it("tampered file: refused, not acknowledged, kept as evidence", async () => {
    const { user, taskId } = await delivered({ tamperFile: true })
    const path = join(h.dir, "tampered.enc")
    const e = await failure(user.client.acknowledgeModel(provider, taskId, { output: path }))
    expect(e).toMatchObject({ _tag: "ModelFileTampered", taskId, path })
    expect(await acknowledged(user, taskId)).toBe(false)
    expect((await readFile(path)).length).toBeGreaterThan(77)
    h.ft.setFaults({})
  })

  it("wrong on-chain root: refused as a root mismatch, not acknowledged", async () => {
    const { user, taskId } = await delivered({ wrongRoot: true })
    const e = await failure(user.client.acknowledgeModel(provider, taskId, { output: join(h.dir, "wrong-root.enc") }))
    expect(e).toMatchObject({ _tag: "ModelRootMismatch", taskId, expected: h.ft.task(taskId)?.modelRootHash })
    expect(await acknowledged(user, taskId)).toBe(false)
    refused = { user, taskId }
  })

  it("wrong tag signature: refused before acknowledging, and decryption never writes plaintext", async () => {
    const { user, taskId } = await delivered({ wrongTagSignature: true })
    const path = join(h.dir, "wrong-sig.enc")
    const e = await failure(user.client.acknowledgeModel(provider, taskId, { output: path }))
    expect(e).toMatchObject({ _tag: "WrongTagSignature", taskId, expected: h.ft.teeSigner })
    expect(e.recovered).not.toBe(h.ft.teeSigner)
    expect(await acknowledged(user, taskId)).toBe(false)

    // The escape hatch acknowledges without verifying; the key is released, yet decryption still refuses.
    await user.client.acknowledgeWithoutDownload(provider, taskId)
    await user.client.waitForSecret(provider, taskId)
    const before = await h.files()
    const out = join(h.dir, "wrong-sig.zip")
    expect(
      await failure(user.client.decryptModel(provider, taskId, { output: out, encryptedPath: path })),
    ).toMatchObject({
      _tag: "WrongTagSignature",
    })
    expect(await failure(user.client.decryptModel(provider, taskId, { output: out }))).toMatchObject({
      _tag: "WrongTagSignature",
    })
    const after = (await h.files()).filter((f) => f !== "wrong-sig.zip.encrypted")
    expect(after).toEqual(before)
  })

  it("a file altered after verification fails decryption as tampered and leaves no plaintext", async () => {
    const { user, taskId } = await delivered({})
    const path = join(h.dir, "good.enc")
    h.ft.setFaults({ stall: "Delivered" }) // the provider has not settled yet
    await user.client.acknowledgeModel(provider, taskId, { output: path })
    const early = await failure(user.client.decryptModel(provider, taskId, { output: join(h.dir, "early.zip") }))
    expect(early).toMatchObject({ _tag: "SecretNotReleased", taskId, acknowledged: true })
    h.ft.setFaults({})
    await user.client.waitForSecret(provider, taskId)
    const altered = join(h.dir, "altered.enc")
    await copyFile(path, altered)
    const bytes = await readFile(altered)
    const inSecondChunk = 77 + CHUNK_SIZE + 16 + 5 // ciphertext of chunk 2, not a tag
    bytes[inSecondChunk] = (bytes[inSecondChunk] ?? 0) ^ 0xff
    await writeFile(altered, bytes)
    const before = await h.files()
    const e = await failure(
      user.client.decryptModel(provider, taskId, { output: join(h.dir, "altered.zip"), encryptedPath: altered }),
    )
    expect(e).toMatchObject({ _tag: "ModelFileTampered", taskId })
    expect(await h.files()).toEqual(before)
    // The genuine file still decrypts.
    await user.client.decryptModel(provider, taskId, { output: join(h.dir, "good.zip"), encryptedPath: path })
  })

  it("an unacknowledged delivery is settled with the 30 % penalty and locks the pair", async () => {
    const { user, taskId } = refused
    const pending = await user.client.pendingDeliverables()
    expect(pending.map((p) => [p.taskId, p.level])).toEqual([[taskId, "ok"]])
    const fee = (await user.client.getTask(provider, taskId)).fee
    expect(fee).toBeGreaterThan(0n)

    h.ft.configure({ ackTimeoutMs: 0 }) // the provider's deadline passes
    const settlement = await h.ft.waitForSettlement(taskId)
    expect(settlement).toEqual({ txHash: settlement.txHash, acknowledged: false, fee: (fee * 30n) / 100n })
    expect(await feesSettled(h, user.wallet.address)).toEqual([[taskId, (fee * 30n) / 100n, false]])

    const view = await user.client.getDeliverable(provider, taskId)
    expect(view).toMatchObject({ settled: true, acknowledged: false, penalized: true, secretReleased: false })
    expect((await user.client.pendingDeliverables()).map((p) => p.level)).toEqual(["penalized"])
    const locked = { _tag: "DeliverablePenalized", provider, taskId }
    expect(await failure(user.client.acknowledgeWithoutDownload(provider, taskId))).toMatchObject(locked)
    expect(
      await failure(user.client.decryptModel(provider, taskId, { output: join(h.dir, "never.zip") })),
    ).toMatchObject(locked)
    const { datasetHash } = await user.client.uploadDataset(provider, await h.datasetFile("again.jsonl"))
    expect(
      await failure(user.client.createTask({ provider, model: "mock-model", datasetHash, trainingParams: PARAMS })),
    ).toMatchObject(locked)
  })
})
