/**
 * The resumable pipeline: stopped mid-task (the provider stalls in Training and the caller aborts), then rerun with
 * the same state file; it continues the same task, never uploads or creates twice, and ends with the decrypted model.
 * Also: a busy provider is a typed error unless the caller opts to wait, and cancellation of a queued task.
 */
import { readFile, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { trainNgramModel } from "@0g-compute/devnet/fine-tuning"
import { describe, expect, it } from "vitest"
import type { PipelineEvent, PipelineState } from "../src/node/index.js"
import { DATASET, failure, PARAMS, PROVIDER, useHarness } from "../src/testing/harness.js"

describe("fine-tuning pipeline", () => {
  const h = useHarness()
  const provider = PROVIDER

  it("resumes after being stopped mid-task and delivers the model trained on the dataset", async () => {
    const user = await h.user()
    await user.client.acknowledgeProvider(provider, { allowDevnet: true })
    const datasetPath = await h.datasetFile("pipeline.jsonl")
    const outputDir = join(h.dir, "out", "models") // not there yet: the pipeline makes it
    const stateFile = join(h.dir, "state.json")
    const options = { provider, datasetPath, model: "mock-model", trainingParams: PARAMS, outputDir, stateFile }

    h.ft.setFaults({ stall: "Training" })
    const first: Array<PipelineEvent> = []
    const stop = new AbortController()
    const interrupted = await failure(
      user.client.run({
        ...options,
        signal: stop.signal,
        onEvent: (e) => {
          first.push(e)
          if (e.stage === "progress" && e.task.progress === "Training") stop.abort()
        },
      }),
    )
    expect(interrupted).toBeDefined()
    expect(first.slice(0, 3).map((e) => e.stage)).toEqual(["uploaded", "fee", "created"])
    const fee = first[1]
    expect(fee?.stage === "fee" ? fee.fee : undefined).toMatchObject({ model: "mock-model", termsFrom: "table" })
    expect(first.slice(3).every((e) => e.stage === "progress")).toBe(true)
    const saved = JSON.parse(await readFile(stateFile, "utf8")) as PipelineState
    const taskId = saved.taskId ?? ""
    expect(saved).toMatchObject({ provider, model: "mock-model" })
    expect(saved.acknowledged).toBeUndefined()
    expect(h.ft.task(taskId)?.json.progress).toBe("Training")

    // While this task holds the queue, another user is told the provider is busy unless they choose to wait.
    const other = await h.user()
    await other.client.acknowledgeProvider(provider, { allowDevnet: true })
    const { datasetHash } = await other.client.uploadDataset(provider, datasetPath)
    const busy = await failure(
      other.client.createTask({ provider, model: "mock-model", datasetHash, trainingParams: PARAMS }),
    )
    expect(busy).toMatchObject({ _tag: "ProviderBusy", provider, pending: 1 })
    const queued = await other.client.createTask({
      provider,
      model: "mock-model",
      datasetHash,
      trainingParams: PARAMS,
      queue: "wait",
    })
    expect((await other.client.getTask(provider, queued.taskId)).progress).toBe("Init")
    expect(await other.client.cancelTask(provider, queued.taskId)).toBe(`task ${queued.taskId} cancelled`)
    expect(await failure(other.client.watch(provider, queued.taskId))).toMatchObject({
      _tag: "TaskFailed",
      taskId: queued.taskId,
    })

    h.ft.setFaults({})
    const second: Array<PipelineEvent> = []
    const result = await user.client.run({ ...options, onEvent: (e) => second.push(e) })
    expect(result.taskId).toBe(taskId)
    const stages = second.map((e) => e.stage).filter((s) => s !== "progress")
    expect(stages).toEqual(["resumed", "acknowledged", "key-released", "decrypted"])
    expect(h.ft.tasks().filter((t) => t.json.userAddress === user.wallet.address)).toHaveLength(1)
    expect(dirname(result.modelPath)).toBe(outputDir)
    const zip = new Uint8Array(await readFile(result.modelPath))
    expect(zip).toEqual(trainNgramModel(new TextEncoder().encode(DATASET), PARAMS, "mock-model").zip)
    expect((await user.client.getDeliverable(provider, taskId)).acknowledged).toBe(true)

    // A rerun of a finished pipeline repeats nothing costly: no upload, no task, no acknowledgement.
    const third: Array<PipelineEvent> = []
    await user.client.run({ ...options, onEvent: (e) => third.push(e) })
    expect(third.map((e) => e.stage).filter((s) => s !== "progress")).toEqual(["resumed", "key-released", "decrypted"])

    // A state file from another run is refused.
    const mismatch = await failure(user.client.run({ ...options, model: "Qwen2.5-0.5B-Instruct" }))
    expect(mismatch).toMatchObject({ _tag: "PipelineStateMismatch", path: stateFile })
  })

  it("a state file that is JSON but no pipeline state is PipelineStateMismatch, before anything is uploaded", async () => {
    const user = await h.user()
    const datasetPath = await h.datasetFile("odd-state.jsonl")
    const stateFile = join(h.dir, "odd-state.json")
    const tasks = h.ft.tasks().length
    for (const text of ["null", "[]", '{"version":1,"provider":5}', '{"version":1,"provider":"0x1","model":"m"}']) {
      await writeFile(stateFile, text)
      const run = user.client.run({
        provider,
        datasetPath,
        model: "mock-model",
        trainingParams: PARAMS,
        outputDir: join(h.dir, "odd-out"),
        stateFile,
      })
      expect(await failure(run)).toMatchObject({ _tag: "PipelineStateMismatch", path: stateFile })
      expect(await readFile(stateFile, "utf8")).toBe(text)
    }
    expect(h.ft.tasks().length).toBe(tasks)
  })
})
