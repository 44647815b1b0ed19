/**
 * Protocol-level test of the emulated fine-tuning provider: raw HTTP and raw chain calls, no client library, so the
 * wire shapes (§2, §3), the state walk (§6), the file format (§7) and settlement (§9) are checked on their own.
 */

import { existsSync } from "node:fs"
import { request } from "node:http"
import { fineTuningServing, ledgerManager } from "@0g-compute/contracts"
import { FINE_TUNING_SERVICE_NAME, minedReceipt } from "@0g-compute/contracts/node"
import { makeRpcProvider } from "@0g-compute/core"
import { decryptModel, signCancelTask, signCreateTask, signModelDownload, unwrapSecret } from "@0g-compute/crypto"
import { Effect, type Redacted, Result } from "effect"
import { keccak256, type NonceManager, parseEther, Wallet } from "ethers"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Devnet } from "../devnet.js"
import { type FineTuningDevnet, startFineTuningDevnet, TRAINING_PARAMS } from "../testing/fine-tuning.js"
import { MOCK_MODEL, postJson as post, postTask, taskBody, uploadDataset } from "../testing/fine-tuning-http.js"
import { fund, signer } from "../testing/inference.js"
import { countTokens, type FineTuningProvider, startFineTuningProvider, trainNgramModel } from "./index.js"
import { MAX_DATASET_BYTES } from "./routes.js"

const PARAMS_TEXT =
  '{"neftune_noise_alpha":5,"num_train_epochs":2,"per_device_train_batch_size":2,"learning_rate":0.0002,"max_steps":-1}'
const DATASET = new TextEncoder().encode(
  [
    '{"text": "the quick brown fox jumps over the lazy dog"}',
    '{"messages": [{"role": "user", "content": "hello there"}, {"role": "assistant", "content": "general kenobi"}]}',
  ].join("\n"),
)

describe("emulated fine-tuning provider", () => {
  let fixture: FineTuningDevnet
  let devnet: Devnet
  let ft: FineTuningProvider
  let rpc: ReturnType<typeof makeRpcProvider>
  let user: NonceManager
  let userKey: Redacted.Redacted<string>
  let address: string

  beforeAll(async () => {
    fixture = await startFineTuningDevnet()
    ;({ devnet, ft } = fixture)
    rpc = makeRpcProvider(devnet.rpcUrl, devnet.chainId)
    const account = devnet.accounts.users[0]
    if (account === undefined) throw new Error("no user account")
    userKey = account.privateKey
    user = signer(account, rpc)
    address = await user.getAddress()
    await fund(devnet, user, ft.address, parseEther("2"), FINE_TUNING_SERVICE_NAME)
  })
  afterAll(async () => {
    rpc?.destroy()
    await fixture?.stop()
  })

  const api = (path: string, init?: RequestInit) => fetch(`${ft.url}/v1${path}`, init)
  const postJson = (path: string, body: unknown) => post(`${ft.url}/v1${path}`, body)

  it("registers its real URL on chain and serves the quote and models", async () => {
    const service = await fineTuningServing(devnet.addresses.fineTuning, rpc).getService(ft.address)
    expect(service.url).toBe(ft.url)
    expect(service.teeSignerAcknowledged).toBe(true)
    const quote = JSON.parse(await (await api("/quote")).text())
    expect(Buffer.from(quote.report_data, "base64").toString("ascii").replace(/\0+$/, "")).toBe(ft.teeSigner)
    const models = await (await api("/model")).json()
    expect(models.map((m: { name: string }) => m.name)).toEqual(["mock-model"])
    expect((await api("/model/nope")).status).toBe(404)
    expect(await (await api("/model/mock-model")).json()).toMatchObject({ name: "mock-model", hash: MOCK_MODEL })
    expect(models[0].dataType).toBe(0) // the broker's TrainingDataType is an int in JSON (0 text, 1 image)
    const desc = await api("/model/desc/mock-model")
    expect(desc.headers.get("content-disposition")).toBe('attachment; filename="mock-model.zip"')
    expect(new Uint8Array(await desc.arrayBuffer()).subarray(0, 2)).toEqual(new Uint8Array([0x50, 0x4b]))
  })

  it("rejects a malformed training config and an unknown model with 400", async () => {
    const signed = await Effect.runPromise(signCreateTask(user, { datasetHash: "0x00" }))
    const body = { ...taskBody(signed, PARAMS_TEXT), wait: false }
    const bad = await postJson(`/user/${address}/task`, { ...body, trainingParams: '{"fp16": true}' })
    expect(bad.status).toBe(400)
    expect((await bad.json()).error).toMatch(/unsupported key/)
    const unknown = await postJson(`/user/${address}/task`, {
      ...body,
      trainingParams: PARAMS_TEXT,
      preTrainedModelHash: `0x${"11".repeat(32)}`,
    })
    expect((await unknown.json()).error).toMatch(/unsupported model/)
  })

  it("answers a malformed or non-multipart dataset upload 400, and one declared past the ceiling 413 unread", async () => {
    const path = `/user/${address}/dataset`
    const form = new FormData()
    form.set("timestamp", "1")
    form.set("file", new Blob([DATASET]), "data.jsonl")
    const encoded = new Response(form)
    const type = encoded.headers.get("content-type") ?? ""
    const bytes = new Uint8Array(await encoded.arrayBuffer())
    const body = bytes.subarray(0, bytes.length - 8) // the closing delimiter cut off
    const cut = await api(path, { method: "POST", headers: { "content-type": type }, body })
    expect(cut.status).toBe(400)
    expect((await cut.json()).error).toBe("the multipart/form-data body is malformed")
    const json = await postJson(path, { file: "x" })
    expect(json.status).toBe(400)
    expect((await json.json()).error).toBe("the request body is not multipart/form-data")
    const declared = String(MAX_DATASET_BYTES + 64 * 1024 + 1)
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${ft.url}/v1${path}`, {
        method: "POST",
        headers: { "content-type": type, "content-length": declared },
      })
      req.on("response", (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on("error", reject)
      req.write(bytes) // the start of a well-formed form; the rest never comes
    })
    expect(status).toBe(413)
  })

  it("walks every state, delivers the byte-exact file and settles with the wrapped key", async () => {
    const uploaded = await (await uploadDataset(`${ft.url}/v1`, user, address, DATASET)).json()
    expect(uploaded.datasetHash).toBe(keccak256(DATASET))

    const { signed, res: created } = await postTask(`${ft.url}/v1`, user, address, uploaded.datasetHash, PARAMS_TEXT)
    expect(created.status).toBe(201)
    const { id } = await created.json()
    // A second task while the first is unfinished is refused.
    const again = await postJson(`/user/${address}/task`, taskBody(signed, PARAMS_TEXT))
    expect(again.status).toBe(409)

    const delivered = await ft.waitForState(id, "Delivered")
    expect(delivered.history).toEqual(["Init", "SettingUp", "SetUp", "Training", "Trained", "Delivering", "Delivered"])
    const task = await (await api(`/user/${address}/task/${id}`)).json()
    expect(task).toMatchObject({ id, progress: "Delivered", userAddress: address, modelType: 1, deliverIndex: 0 })
    // The broker's formula with mock-model's terms: tokens × price × epochs × 1 + 0.01 0G.
    expect(task.fee).toBe(String(BigInt(countTokens(DATASET) * 2) * 1_000_000_000n + 10_000_000_000_000_000n))
    const log = await (await api(`/user/${address}/task/${id}/log`)).text()
    expect(log.split("\n")[0]).toMatch(/^\[\d{4}-\d\d-\d\dT[\d:]+Z\] creating task\.\.\.\.$/)
    expect(await (await api("/task/pending")).text()).toBe("0")
    const cancelSig = await Effect.runPromise(signCancelTask(user, id))
    expect((await postJson(`/user/${address}/task/${id}/cancel`, { signature: cancelSig })).status).toBe(400)

    const dl = await Effect.runPromise(signModelDownload(user, { taskId: id }))
    const file = new Uint8Array(await (await postJson(`/user/${address}/task/${id}/lora`, dl)).arrayBuffer())
    const serving = fineTuningServing(devnet.addresses.fineTuning, user)
    const deliverable = await serving.getDeliverable(address, ft.address, id)
    expect(deliverable.modelRootHash).toBe(keccak256(file))
    const trained = trainNgramModel(DATASET, TRAINING_PARAMS, "mock-model")
    expect(file.length).toBe(77 + trained.zip.length + 16 * Math.ceil(trained.zip.length / 256))

    await minedReceipt(serving.acknowledgeDeliverable(ft.address, id))
    const settlement = await ft.waitForSettlement(id)
    expect(settlement).toMatchObject({ acknowledged: true, fee: BigInt(task.fee) })
    const settled = await serving.getDeliverable(address, ft.address, id)
    const key = Result.getOrThrow(unwrapSecret(settled.encryptedSecret, userKey))
    const plain = await Effect.runPromise(decryptModel(file, { key, expectedSigner: ft.teeSigner, chunkSize: 256 }))
    expect(plain.plaintext).toEqual(trained.zip)
    expect(ft.task(id)?.history.slice(-2)).toEqual(["UserAcknowledged", "Finished"])
  })

  it("fails a task the sub-account cannot cover in setup, with the broker's wording and formula", async () => {
    const account = devnet.accounts.users[1]
    if (account === undefined) throw new Error("no second user")
    const other = signer(account, rpc)
    const lm = ledgerManager(devnet.addresses.ledger, other)
    await minedReceipt(lm.addLedger("", { value: parseEther("5") }))
    await minedReceipt(lm.transferFund(ft.address, "fine-tuning-v1.0", parseEther("1")))
    await minedReceipt(lm.retrieveFund([ft.address], "fine-tuning-v1.0")) // all of it pending refund
    await uploadDataset(`${ft.url}/v1`, other, account.address, DATASET)
    const { res: created } = await postTask(`${ft.url}/v1`, other, account.address, keccak256(DATASET), PARAMS_TEXT)
    const { id } = await created.json()
    await ft.waitForState(id, "Failed")
    const required = BigInt(countTokens(DATASET) * 2) * 1_000_000_000n + 10_000_000_000_000_000n
    const log = await (await api(`/user/${account.address}/task/${id}/log`)).text()
    expect(log).toContain(
      `setup failed: insufficient account balance after pending refund: required ${required}, available 0`,
    )
    expect(ft.task(id)?.history).toEqual(["Init", "SettingUp", "Failed"])
  })

  it("cancels a task frozen in Init with the owner's signature only", async () => {
    ft.setFaults({ stall: "Init" })
    const { res: created } = await postTask(`${ft.url}/v1`, user, address, keccak256(DATASET), PARAMS_TEXT)
    const { id } = await created.json()
    expect(await (await api("/task/pending")).text()).toBe("1")
    const stranger = await Effect.runPromise(signCancelTask(Wallet.createRandom(), id))
    expect((await postJson(`/user/${address}/task/${id}/cancel`, { signature: stranger })).status).toBe(403)
    const own = await Effect.runPromise(signCancelTask(user, id))
    const res = await postJson(`/user/${address}/task/${id}/cancel`, { signature: own })
    expect(await res.text()).toBe(`task ${id} cancelled`)
    ft.setFaults({})
    await ft.waitForState(id, "Failed")
    expect(ft.task(id)?.history).toEqual(["Init", "Failed"])
  })

  it("stops while a deliverable is being written, and only then removes its own directory", async () => {
    let stopping: Promise<void> | undefined
    const second = await startFineTuningProvider({
      rpcUrl: devnet.rpcUrl,
      addresses: devnet.addresses,
      accounts: devnet.accounts,
      stepDelayMs: 0,
      chunkSize: 16, // many small chunks: a long write to land in
      updateServiceUrl: false,
      // Stopping as the task enters Delivering lands in the middle of the deliverable's file work.
      onTaskState: (task) => {
        if (task.history.at(-1) === "Delivering") stopping ??= second.stop()
      },
    })
    const lines = Array.from({ length: 400 }, (_, i) => `{"text": "line ${i} of a dataset with ${i * 7919} in it"}`)
    const dataset = new TextEncoder().encode(lines.join("\n"))
    await uploadDataset(`${second.url}/v1`, user, address, dataset)
    const { res: created } = await postTask(`${second.url}/v1`, user, address, keccak256(dataset), PARAMS_TEXT)
    const { id } = await created.json()
    await second.waitForState(id, "Delivering")
    await expect(stopping).resolves.toBeUndefined()
    expect(existsSync(second.dataDir)).toBe(false)
    // The file work finished before the directory went: the task was not failed by its files vanishing.
    expect(second.task(id)?.json.progress).toBe("Delivering")
    expect(second.task(id)?.log.join("\n")).toContain("deliverable added")
  })
})
