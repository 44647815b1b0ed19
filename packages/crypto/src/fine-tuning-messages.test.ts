import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import {
  cancelTaskPreimage,
  checkTimestampWindow,
  createTaskPreimage,
  datasetUploadPreimage,
  fineTuningMessageHash,
  modelDownloadPreimage,
  recoverFineTuningSigner,
  signCancelTask,
  signCreateTask,
  signDatasetUpload,
  signFineTuningMessage,
  signModelDownload,
  taskNonceFromTime,
  verifyFineTuningMessage,
} from "./fine-tuning-messages.js"
import { account, at, err, fail, hex, ok, run, toHexString, vectors, wallet } from "./testing/vectors.js"

const m = vectors.fineTuningMessages
const user = wallet(0)
const ct = m.createTask

describe("fine-tuning message vectors (fine-tuning-protocol §5)", () => {
  it("create task: preimage, keccak, signature, recovered public key", async () => {
    const pre = ok(
      createTaskPreimage({ userAddress: ct.userAddress, nonce: BigInt(ct.nonce), datasetHash: ct.datasetHash }),
    )
    expect(toHexString(pre)).toBe(ct.preimage)
    expect(fineTuningMessageHash(pre)).toBe(ct.keccak256)
    expect(await run(signFineTuningMessage(user, pre))).toBe(ct.signature)
    const rec = ok(recoverFineTuningSigner(pre, ct.signature))
    expect(rec).toEqual({ address: ct.userAddress, publicKey: ct.recoveredPublicKey })
  })

  it("create task through signCreateTask (address from the signer, bigint nonce > 2^53)", async () => {
    const signed = await run(signCreateTask(user, { datasetHash: ct.datasetHash, nonce: BigInt(ct.nonce) }))
    expect(signed).toEqual({
      userAddress: ct.userAddress,
      nonce: 17672256000000040n,
      datasetHash: ct.datasetHash,
      signature: ct.signature,
    })
  })

  it("create task nonce defaults to the time-based scheme of the Effect clock", async () => {
    const signed = await run(signCreateTask(user, { datasetHash: ct.datasetHash }).pipe(at(1767225600000)))
    expect(signed.nonce).toBe(BigInt(ct.nonce))
    expect(signed.signature).toBe(ct.signature)
    expect(taskNonceFromTime(1767225600000)).toBe(17672256000000040n)
  })

  it("cancel task: 16 raw UUID bytes", async () => {
    const pre = ok(cancelTaskPreimage(m.cancelTask.taskId))
    expect(toHexString(pre)).toBe(m.cancelTask.preimage)
    expect(fineTuningMessageHash(pre)).toBe(m.cancelTask.keccak256)
    expect(await run(signCancelTask(user, m.cancelTask.taskId.toUpperCase()))).toBe(m.cancelTask.signature)
  })

  it("dataset upload: utf8(address as spelled + timestamp)", async () => {
    const d = m.datasetUpload
    const pre = datasetUploadPreimage(account(0).address, d.timestamp)
    expect(new TextDecoder().decode(pre)).toBe(d.preimageUtf8)
    expect(fineTuningMessageHash(pre)).toBe(d.keccak256)
    const signed = await run(signDatasetUpload(user, { timestamp: d.timestamp }))
    expect(signed).toEqual({ userAddress: account(0).address, timestamp: d.timestamp, signature: d.signature })
  })

  it("model download: utf8(lower-case dashless UUID + timestamp)", async () => {
    const d = m.modelDownload
    const pre = ok(modelDownloadPreimage(d.taskId, d.timestamp))
    expect(new TextDecoder().decode(pre)).toBe(d.preimageUtf8)
    expect(fineTuningMessageHash(pre)).toBe(d.keccak256)
    const signed = await run(signModelDownload(user, { taskId: d.taskId }).pipe(at(d.timestamp * 1000 + 999)))
    expect(signed).toEqual({ timestamp: d.timestamp, signature: d.signature })
  })

  it("every vector signature verifies against account 0 and fails against account 1", async () => {
    const pairs: Array<[Uint8Array, string]> = [
      [hex(ct.preimage), ct.signature],
      [hex(m.cancelTask.preimage), m.cancelTask.signature],
      [new TextEncoder().encode(m.datasetUpload.preimageUtf8), m.datasetUpload.signature],
      [new TextEncoder().encode(m.modelDownload.preimageUtf8), m.modelDownload.signature],
    ]
    for (const [pre, sig] of pairs) {
      expect(ok(verifyFineTuningMessage(pre, sig, account(0).address)).address).toBe(account(0).address)
      expect(err(verifyFineTuningMessage(pre, sig, account(1).address))._tag).toBe("SignerMismatch")
    }
  })
})

describe("input validation and the time window", () => {
  it("rejects a non-UUID task id and a bad user address", async () => {
    expect(err(cancelTaskPreimage("task-1"))._tag).toBe("MalformedData")
    expect(err(createTaskPreimage({ userAddress: "0x12", nonce: 1n, datasetHash: "0x" }))._tag).toBe("InvalidAddress")
    expect(err(createTaskPreimage({ userAddress: ct.userAddress, nonce: -1n, datasetHash: "0x" }))._tag).toBe(
      "MalformedData",
    )
  })
  it("accepts now − 300 s … now + 60 s and rejects outside", async () => {
    const now = 1767225600
    await run(checkTimestampWindow(now - 300, { now }))
    await run(checkTimestampWindow(now + 60, { now }))
    expect(await fail(checkTimestampWindow(now - 301, { now }))).toMatchObject({
      _tag: "TimestampOutOfWindow",
      earliest: now - 300,
    })
    expect((await fail(checkTimestampWindow(now + 61, { now })))._tag).toBe("TimestampOutOfWindow")
    expect((await fail(checkTimestampWindow(now - 301).pipe(at(now * 1000))))._tag).toBe("TimestampOutOfWindow")
    await run(checkTimestampWindow(now).pipe(at(now * 1000), Effect.asVoid))
  })
})
