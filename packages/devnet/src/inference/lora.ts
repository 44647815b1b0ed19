/**
 * LoRA adapters on the emulated inference provider, as the 2026 broker serves them (0g-serving-broker
 * `handler/lora.go`, `lora/manager.go`, `ctrl/lora.go`):
 *
 * - an adapter is known once a fine-tuning task's model was acknowledged (the broker's event watcher; here
 *   `register`), named `ft-<baseModel with / . space → ->-<first 12 chars of taskId>`, in state `ready`;
 * - `POST /v1/lora/adapters/deploy {taskId, baseModel}` moves it to `loading`, then `active` (409 when unknown);
 * - `GET /v1/lora/adapters` → `{adapters: [...]}`, `GET /v1/lora/adapters/{name}` → one (404 when unknown);
 * - a chat naming an `ft-*` model is admitted only for the adapter's owner and only while it is `active`, before
 *   anything is forwarded or billed; it is billed at the base model's prices.
 *
 * Like the broker, the management routes take no session (they only name adapters); the chat route does.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { isRecord } from "@0g-compute/core"
import { HttpFailure, readBody } from "@0g-compute/core/node"
import { MAX_BODY_BYTES, sendJson } from "./http.js"

export type AdapterState =
  | "init"
  | "pending"
  | "downloading"
  | "ready"
  | "active"
  | "loading"
  | "offloaded"
  | "archived"
  | "failed"

export interface EmulatedAdapter {
  readonly adapterName: string
  readonly taskId: string
  readonly baseModel: string
  readonly userAddress: string
  readonly storageRootHash: string
  state: AdapterState
}

export interface AdapterRegistration {
  readonly taskId: string
  readonly user: string
  readonly baseModel: string
  readonly storageRootHash?: string
}

/** MakeAdapterName: deterministic from the base model and the task id. */
export const makeAdapterName = (baseModel: string, taskId: string): string =>
  `ft-${baseModel.replace(/[/. ]/g, "-")}-${taskId.length > 12 ? taskId.slice(0, 12) : taskId}`

export const isLoraModel = (model: string): boolean => model.startsWith("ft-")

export class LoraAdapters {
  private readonly adapters = new Map<string, EmulatedAdapter>()

  /** @param deployDelayMs how long `loading` lasts after a deploy (the ServerlessLLM load). */
  constructor(private readonly deployDelayMs = 0) {}

  /** What the broker's event watcher does when a task's model was acknowledged (AutoDeploy off: `ready`). */
  register(r: AdapterRegistration, state: AdapterState = "ready"): EmulatedAdapter {
    const adapterName = makeAdapterName(r.baseModel, r.taskId)
    const known = this.adapters.get(adapterName)
    if (known !== undefined) return known
    const adapter: EmulatedAdapter = {
      adapterName,
      taskId: r.taskId,
      baseModel: r.baseModel,
      userAddress: r.user,
      storageRootHash: r.storageRootHash ?? "",
      state,
    }
    this.adapters.set(adapterName, adapter)
    return adapter
  }

  get(name: string): EmulatedAdapter | undefined {
    return this.adapters.get(name)
  }

  list(): ReadonlyArray<EmulatedAdapter> {
    return [...this.adapters.values()]
  }

  /** Sets a state directly (tests: a failed or offloaded adapter). */
  setState(name: string, state: AdapterState): void {
    const a = this.adapters.get(name)
    if (a !== undefined) a.state = state
  }

  /** UserDeployAdapter: only a `ready` (or offloaded/archived) adapter deploys; an active one is left as it is. */
  deploy(name: string): void {
    const a = this.adapters.get(name)
    if (a === undefined)
      throw new HttpFailure(409, `adapter ${name} not found; has its fine-tuning task been acknowledged?`)
    if (a.state === "active" || a.state === "loading") return
    if (a.state !== "ready" && a.state !== "offloaded" && a.state !== "archived") {
      throw new HttpFailure(409, `adapter ${name} cannot be deployed in state ${a.state}`)
    }
    a.state = "loading"
    const t = setTimeout(() => {
      if (a.state === "loading") a.state = "active"
    }, this.deployDelayMs)
    t.unref()
  }

  /** CheckLoRAOwnership, before anything is forwarded or billed. */
  admit(model: string, user: string): void {
    const a = this.adapters.get(model)
    if (a === undefined) throw new HttpFailure(404, `fine-tuned model not found: ${model}`)
    if (a.userAddress.toLowerCase() !== user.toLowerCase()) {
      throw new HttpFailure(403, `access denied: you are not the owner of model ${model}`)
    }
    if (a.state === "active") return
    if (a.state === "ready") {
      throw new HttpFailure(400, `model ${model} is downloaded but not deployed; call deploy-adapter first`)
    }
    if (a.state === "failed") throw new HttpFailure(503, `lora unavailable: model ${model} failed to deploy`)
    throw new HttpFailure(503, `lora unavailable: model ${model} is still loading, please retry later`)
  }
}

const view = (a: EmulatedAdapter) => ({
  adapterName: a.adapterName,
  taskId: a.taskId,
  baseModel: a.baseModel,
  state: a.state,
  userAddress: a.userAddress,
  storageRootHash: a.storageRootHash,
})

/** `/v1/lora/*`; `rest` is the path after `/v1/lora`. */
export const serveLora = async (
  lora: LoraAdapters,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
): Promise<void> => {
  const method = req.method ?? "GET"
  if (rest === "/adapters" && method === "GET") {
    return sendJson(req, res, 200, { adapters: lora.list().map(view) })
  }
  if (rest === "/adapters/deploy" && method === "POST") {
    // Read outside the try: a body past the cap is the broker's 413, not "not JSON".
    const raw = await readBody(req, MAX_BODY_BYTES)
    let body: unknown
    try {
      body = JSON.parse(raw.toString("utf8"))
    } catch {
      throw new HttpFailure(400, "invalid request body: not JSON")
    }
    const taskId = isRecord(body) && typeof body.taskId === "string" ? body.taskId : ""
    const baseModel = isRecord(body) && typeof body.baseModel === "string" ? body.baseModel : ""
    if (taskId === "" || baseModel === "") {
      throw new HttpFailure(400, "Key: 'deployAdapterRequest.TaskID' Error:Field validation for 'TaskID' failed")
    }
    const adapterName = makeAdapterName(baseModel, taskId)
    lora.deploy(adapterName)
    return sendJson(req, res, 200, {
      status: "deploying",
      adapterName,
      message: `Adapter deployment started. Poll GET /v1/lora/adapters/${adapterName} for status.`,
    })
  }
  const one = /^\/adapters\/([^/]+)$/.exec(rest)
  if (one !== null && method === "GET") {
    const name = decodeURIComponent(one[1] ?? "")
    const a = lora.get(name)
    if (a === undefined) throw new HttpFailure(404, `adapter not found: ${name}`)
    return sendJson(req, res, 200, view(a))
  }
  throw new HttpFailure(404, `/v1/lora${rest} not found`)
}
