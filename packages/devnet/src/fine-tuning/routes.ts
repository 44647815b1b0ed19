/**
 * The broker's HTTP routes (fine-tuning-protocol.md §2), with its JSON shapes, text replies and status codes.
 */

import { createHash, randomUUID } from "node:crypto"
import { createReadStream } from "node:fs"
import { readFile, stat } from "node:fs/promises"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { FineTuningFeeTerms } from "@0g-compute/core"
import { formBytes, formText, HttpFailure, parseFormData, readBody, readJsonObject } from "@0g-compute/core/node"
import {
  cancelTaskPreimage,
  checkTimestampWindow,
  datasetUploadPreimage,
  modelDownloadPreimage,
  recoverFineTuningSigner,
} from "@0g-compute/crypto"
import { Effect, Result } from "effect"
import { keccak256 } from "ethers"
import { strToU8, zipSync } from "fflate"
import { sendJson, sendText } from "./http-util.js"
import { CANCELLABLE_STATES, type TaskRecord, taskJson } from "./task-record.js"
import type { TaskEngine } from "./tasks.js"
import {
  EMULATED_MODELS,
  type EmulatedModel,
  findModel,
  isAddress,
  isDecimal,
  isHash32,
  isSignature,
  parseTrainingParams,
} from "./validation.js"

/** The SDK's default dataset cap. */
export const MAX_DATASET_BYTES = 100 * 1024 * 1024
const JSON_LIMIT = 1024 * 1024
const DELIVERED_OR_LATER = ["Delivered", "UserAcknowledged", "Finished"]

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

const modelJson = (m: EmulatedModel, terms?: FineTuningFeeTerms) => ({
  name: m.name,
  hash: m.hash,
  image: m.image,
  dataType: m.dataType === "image" ? 1 : 0, // the broker's TrainingDataType marshals as an integer
  trainingScript: m.trainingScript,
  description: m.description,
  tokenizer: m.tokenizer,
  // Only when configured: the 2026 broker publishes no fee terms (config.CustomizedModel).
  ...(terms === undefined || m.modelType !== 1
    ? {}
    : { priceCoefficient: Number(terms.priceCoefficient), storageFee: terms.storageFee.toString() }),
})

/** The legacy quote layout (inference-protocol.md §10), marked as a devnet quote. */
export const quoteJson = (teeSigner: string) => {
  const reportData = Buffer.alloc(64)
  reportData.write(teeSigner, "ascii")
  const appCompose = JSON.stringify({ name: "devnet-fine-tuning", services: { broker: { image: "devnet/ft-broker" } } })
  const composeHash = createHash("sha256").update(appCompose).digest("hex")
  return {
    report_data: reportData.toString("base64"),
    quote: "devnet-quote",
    event_log: [{ imr: 3, event_type: 134217729, digest: "", event: "compose-hash", event_payload: composeHash }],
    vm_config: "{}",
    tcb_info: { app_compose: appCompose },
    devnet: true,
  }
}

const recovered = (preimage: Uint8Array, signature: unknown): string => {
  if (!isSignature(signature)) throw new HttpFailure(400, "invalid signature")
  const r = recoverFineTuningSigner(preimage, signature)
  if (Result.isFailure(r)) throw new HttpFailure(400, "invalid signature")
  return r.success.address
}

const checkWindow = async (timestamp: number) => {
  const r = await Effect.runPromise(Effect.result(checkTimestampWindow(timestamp)))
  if (r._tag === "Failure") throw new HttpFailure(400, `timestamp out of window: ${r.failure.message}`)
}

export interface RouteContext {
  readonly engine: TaskEngine
  readonly teeSigner: string
  readonly teeSignerAcknowledgedByUser: (user: string) => Promise<boolean>
  readonly servedFile: (t: TaskRecord) => Promise<Buffer | string>
}

type Handler = (ctx: RouteContext, req: IncomingMessage, res: ServerResponse, m: RegExpExecArray) => Promise<void>

const taskOf = (ctx: RouteContext, user: string, id: string) => {
  const t = ctx.engine.tasks.get(id)
  if (t === undefined || !same(t.userAddress, user)) throw new HttpFailure(404, `task ${id} not found`)
  return t
}

const createTask: Handler = async (ctx, req, res, m) => {
  const user = m[1] ?? ""
  const body = await readJsonObject(req, JSON_LIMIT)
  const { userAddress, preTrainedModelHash, datasetHash, trainingParams, fee, nonce, signature, wait } = body
  if (!isAddress(userAddress) || !same(userAddress, user)) throw new HttpFailure(400, "userAddress must match the URL")
  if (!isHash32(preTrainedModelHash)) throw new HttpFailure(400, "preTrainedModelHash must be 0x + 64 hex")
  if (typeof datasetHash !== "string" || datasetHash === "") throw new HttpFailure(400, "datasetHash is required")
  if (typeof trainingParams !== "string") throw new HttpFailure(400, "trainingParams must be a string of JSON")
  if (!isDecimal(fee)) throw new HttpFailure(400, "fee must be a decimal string")
  if (!isDecimal(nonce)) throw new HttpFailure(400, "nonce must be a decimal string")
  if (!isSignature(signature)) throw new HttpFailure(400, "signature must be 0x + 130 hex")
  // Validation order of §4: model, trainingParams, on-chain acknowledgements, queue.
  const model = findModel(preTrainedModelHash)
  if (model === undefined) throw new HttpFailure(400, `unsupported model: ${preTrainedModelHash}`)
  const params = parseTrainingParams(trainingParams)
  if (typeof params === "string") throw new HttpFailure(400, params)
  if (!(await ctx.teeSignerAcknowledgedByUser(userAddress))) {
    throw new HttpFailure(400, "the user has not acknowledged the TEE signer (fund the sub-account first)")
  }
  const engine = ctx.engine
  const unfinished = engine.userTasks(userAddress).find((t) => t.progress !== "Finished" && t.progress !== "Failed")
  if (unfinished !== undefined) {
    throw new HttpFailure(409, `the user has an unfinished task ${unfinished.id} (${unfinished.progress})`)
  }
  const pending = engine.pendingCount()
  if (pending >= engine.config.maxQueueSize) throw new HttpFailure(409, "queue full")
  if (pending > 0 && wait !== true) {
    throw new HttpFailure(409, "cannot create a new task while there are in-progress tasks")
  }
  const now = new Date()
  const task: TaskRecord = {
    id: randomUUID(),
    createdAt: now,
    updatedAt: now,
    userAddress,
    preTrainedModelHash,
    datasetHash,
    trainingParams,
    fee: BigInt(fee),
    nonce,
    signature,
    progress: "Init",
    deliverTime: 0,
    modelType: model.modelType,
    wait: wait === true,
    model,
    params,
    history: ["Init"],
    log: [],
  }
  engine.add(task)
  sendJson(res, 201, { id: task.id })
}

const listTasks: Handler = async (ctx, req, res, m) => {
  const url = new URL(req.url ?? "/", "http://x")
  const desc = url.searchParams.get("order") !== "asc"
  const tasks = ctx.engine
    .userTasks(m[1] ?? "")
    .sort((a, b) => (a.createdAt.getTime() - b.createdAt.getTime()) * (desc ? -1 : 1))
  const newest = tasks.length === 0 ? [] : [desc ? tasks[0] : tasks.at(-1)]
  const chosen = url.searchParams.get("latest") === "true" ? newest : tasks
  sendJson(
    res,
    200,
    chosen.flatMap((t) => (t === undefined ? [] : [taskJson(t)])),
  )
}

const cancelTask: Handler = async (ctx, req, res, m) => {
  const t = taskOf(ctx, m[1] ?? "", m[2] ?? "")
  const body = await readJsonObject(req, JSON_LIMIT)
  const preimage = Result.getOrThrow(cancelTaskPreimage(t.id))
  if (!same(recovered(preimage, body.signature), t.userAddress)) {
    throw new HttpFailure(403, "the signature is not the task owner's")
  }
  if (!CANCELLABLE_STATES.includes(t.progress))
    throw new HttpFailure(400, `cannot cancel a task in state ${t.progress}`)
  ctx.engine.cancel(t)
  sendText(res, 200, `task ${t.id} cancelled`)
}

const uploadDataset: Handler = async (ctx, req, res, m) => {
  const user = m[1] ?? ""
  // Bounded first, then parsed: a body past the ceiling is a 413 that is never parsed.
  const form = await parseFormData(await readBody(req, MAX_DATASET_BYTES + 64 * 1024), req.headers["content-type"])
  const file = await formBytes(form, "file")
  const timestamp = Number(formText(form, "timestamp"))
  if (file === undefined || file.length === 0) throw new HttpFailure(400, "missing file")
  if (file.length > MAX_DATASET_BYTES) throw new HttpFailure(413, "dataset too large")
  if (!Number.isSafeInteger(timestamp)) throw new HttpFailure(400, "invalid timestamp")
  await checkWindow(timestamp)
  const signer = recovered(datasetUploadPreimage(user, timestamp), formText(form, "signature"))
  if (!same(signer, user)) throw new HttpFailure(403, "the signature is not the user's")
  const datasetHash = keccak256(file)
  ctx.engine.datasets.set(datasetHash.toLowerCase(), new Uint8Array(file))
  sendJson(res, 200, { datasetHash, message: `dataset uploaded (${file.length} bytes)` })
}

const downloadModel: Handler = async (ctx, req, res, m) => {
  const t = taskOf(ctx, m[1] ?? "", m[2] ?? "")
  const body = await readJsonObject(req, JSON_LIMIT)
  const timestamp = body.timestamp
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp)) throw new HttpFailure(400, "invalid timestamp")
  await checkWindow(timestamp)
  const preimage = Result.getOrThrow(modelDownloadPreimage(t.id, timestamp))
  if (!same(recovered(preimage, body.signature), t.userAddress)) {
    throw new HttpFailure(403, "the signature is not the task owner's")
  }
  if (!DELIVERED_OR_LATER.includes(t.progress)) throw new HttpFailure(409, `task is ${t.progress}, not yet delivered`)
  const served = await ctx.servedFile(t).catch(() => {
    throw new HttpFailure(503, "model file missing")
  })
  if (typeof served !== "string") {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": served.length })
    res.end(served)
    return
  }
  const size = (await stat(served)).size
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size })
  createReadStream(served).pipe(res)
}

const modelByName: Handler = async (ctx, _req, res, m) => {
  const model = findModel(decodeURIComponent(m[1] ?? ""))
  if (model === undefined) throw new HttpFailure(404, "model not found")
  sendJson(res, 200, modelJson(model, ctx.engine.config.publishedFeeTerms))
}

const modelDesc: Handler = async (_ctx, _req, res, m) => {
  const model = findModel(decodeURIComponent(m[1] ?? ""))
  if (model === undefined) throw new HttpFailure(404, "model not found")
  const zip = zipSync({ "README.md": strToU8(`# ${model.name}\n\n${model.description}\n`) })
  res.writeHead(200, {
    "content-type": "application/zip",
    "content-disposition": `attachment; filename="${model.name}.zip"`,
    "content-length": zip.length,
  })
  res.end(zip)
}

const ADDR = "(0x[0-9a-fA-F]{40})"
const ID = "([0-9a-fA-F-]{36})"

export const ROUTES: ReadonlyArray<readonly [string, RegExp, Handler]> = [
  [
    "GET",
    /^\/v1\/quote$/,
    async (ctx, _q, res) => {
      const signer = ctx.engine.faults.wrongQuoteSigner === true ? `0x${"ab".repeat(20)}` : ctx.teeSigner
      sendText(res, 200, JSON.stringify(quoteJson(signer)))
    },
  ],
  [
    "GET",
    /^\/v1\/model$/,
    async (c, _q, res) => {
      const terms = c.engine.config.publishedFeeTerms
      sendJson(
        res,
        200,
        EMULATED_MODELS.filter((x) => x.modelType === 1).map((x) => modelJson(x, terms)),
      )
    },
  ],
  ["GET", /^\/v1\/model\/desc\/([^/]+)$/, modelDesc],
  ["GET", /^\/v1\/model\/([^/]+)$/, modelByName],
  ["GET", /^\/v1\/task\/pending$/, async (ctx, _q, res) => sendText(res, 200, String(ctx.engine.pendingCount()))],
  ["POST", new RegExp(`^/v1/user/${ADDR}/task$`), createTask],
  ["GET", new RegExp(`^/v1/user/${ADDR}/task$`), listTasks],
  [
    "GET",
    new RegExp(`^/v1/user/${ADDR}/task/${ID}$`),
    async (ctx, _q, res, m) => sendJson(res, 200, taskJson(taskOf(ctx, m[1] ?? "", m[2] ?? ""))),
  ],
  ["POST", new RegExp(`^/v1/user/${ADDR}/task/${ID}/cancel$`), cancelTask],
  [
    "GET",
    new RegExp(`^/v1/user/${ADDR}/task/${ID}/log$`),
    async (ctx, _q, res, m) => sendText(res, 200, `${taskOf(ctx, m[1] ?? "", m[2] ?? "").log.join("\n")}\n`),
  ],
  ["POST", new RegExp(`^/v1/user/${ADDR}/dataset$`), uploadDataset],
  ["POST", new RegExp(`^/v1/user/${ADDR}/task/${ID}/lora$`), downloadModel],
]

/** Dispatches one request; its failures are answered by http-util's `answerFailure`. */
export const route = async (ctx: RouteContext, req: IncomingMessage, res: ServerResponse) => {
  const path = new URL(req.url ?? "/", "http://x").pathname.replace(/\/+$/, "")
  for (const [method, pattern, handler] of ROUTES) {
    const m = pattern.exec(path)
    if (m !== null && req.method === method) return handler(ctx, req, res, m)
  }
  throw new HttpFailure(404, `no route for ${req.method} ${path}`)
}

/** The served bytes: the file itself, or (tamper fault) a copy with one byte of the last GCM tag flipped. */
export const tamperedCopy = async (path: string): Promise<Buffer> => {
  const bytes = await readFile(path)
  const last = bytes.length - 1
  bytes[last] = (bytes[last] ?? 0) ^ 0x01
  return bytes
}
