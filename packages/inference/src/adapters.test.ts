/**
 * LoRA adapters against the emulated provider over HTTP: list, status, deploy, wait until active, chat with the
 * adapter as `model` (verified, billed at the base model's prices). Guards: chatting with an adapter before it is
 * deployed, or with someone else's adapter, is refused before any fee; unknown adapters and refused deployments are
 * typed errors.
 */
import OpenAI from "openai"
import { describe, expect, it } from "vitest"
import { adapterName } from "./adapters.js"
import { type TestUser, useTestDevnet } from "./testing/fixture.js"

const t = useTestDevnet({ users: 2, ledger: "10", acknowledge: { fund: "3" } })
const owner = () => t.user
const other = () => t.users[1] as TestUser
const TASK = "3f2c9a1e-7b4d-4c2a-9e1f-0a1b2c3d4e5f"

const chat = (u: TestUser, model: string) =>
  u.client
    .openAIOptions(t.provider.providerAddress)
    .then((o) => new OpenAI(o).chat.completions.create({ model, messages: [{ role: "user", content: "hi adapter" }] }))

describe("LoRA adapters", () => {
  const name = () => adapterName(t.provider.model, TASK)

  it("names adapters as the broker does", () => {
    expect(adapterName("Qwen/Qwen2.5-0.5B Instruct", TASK)).toBe("ft-Qwen-Qwen2-5-0-5B-Instruct-3f2c9a1e-7b4")
    expect(adapterName("m", "short")).toBe("ft-m-short")
  })

  it("an unknown adapter is a typed error; deploying one is refused", async () => {
    await expect(owner().client.adapters.status(t.provider.providerAddress, "ft-nope-1")).rejects.toMatchObject({
      _tag: "AdapterNotFound",
      adapterName: "ft-nope-1",
    })
    await expect(
      owner().client.adapters.deploy(t.provider.providerAddress, {
        taskId: "missing-task",
        baseModel: t.provider.model,
      }),
    ).rejects.toMatchObject({ _tag: "AdapterDeployRefused", status: 409 })
  })

  it("a registered adapter is listed as ready; chatting with it before deployment costs nothing", async () => {
    t.provider.lora.register({ taskId: TASK, user: owner().address, baseModel: t.provider.model })
    const list = await owner().client.adapters.list(t.provider.providerAddress)
    expect(list).toEqual([expect.objectContaining({ adapterName: name(), taskId: TASK, state: "ready" })])
    const before = t.provider.unsettledFee(owner().address)
    await expect(chat(owner(), name())).rejects.toMatchObject({ cause: { _tag: "ProviderHttpError", status: 400 } })
    expect(t.provider.unsettledFee(owner().address)).toBe(before)
  })

  it("deploys, waits until active, and chats with the adapter as model at the base model's prices", async () => {
    const deployed = await owner().client.adapters.deploy(t.provider.providerAddress, {
      taskId: TASK,
      baseModel: t.provider.model,
    })
    expect(deployed).toMatchObject({ adapterName: name(), status: "deploying" })
    const states: string[] = []
    const active = await owner().client.adapters.waitUntilActive(t.provider.providerAddress, name(), {
      intervalMs: 5,
      timeoutMs: 10_000,
      onState: (s) => states.push(s),
    })
    expect(active.state).toBe("active")
    expect(states.at(-1)).toBe("active")

    const before = owner().client.usageRecords().length
    const completion = await chat(owner(), name())
    expect(completion.choices[0]?.message.content).toBe("Echo: hi adapter")
    expect(completion.model).toBe(name())
    const [r] = owner().client.usageRecords().slice(before)
    expect(r).toMatchObject({ model: name(), verdict: "Verified", promptTokens: 2, completionTokens: 3 })
    expect(r?.fee).toBe(2n * t.provider.inputPrice + 3n * t.provider.outputPrice)
    expect(t.provider.unsettledFee(owner().address)).toBe(r?.fee)
  })

  it("hostile: another user naming the adapter is refused before any fee", async () => {
    const before = t.provider.unsettledFee(other().address)
    await expect(chat(other(), name())).rejects.toMatchObject({ cause: { _tag: "ProviderHttpError", status: 403 } })
    expect(t.provider.unsettledFee(other().address)).toBe(before)
    expect(other().client.usage().total.fee).toBe(0n)
  })

  it("a failed adapter ends the wait with AdapterFailed", async () => {
    const failed = t.provider.lora.register({ taskId: "failing-task-0001", user: owner().address, baseModel: "m" })
    t.provider.lora.setState(failed.adapterName, "failed")
    await expect(
      owner().client.adapters.waitUntilActive(t.provider.providerAddress, failed.adapterName, { intervalMs: 5 }),
    ).rejects.toMatchObject({ _tag: "AdapterFailed", adapterName: failed.adapterName })
  })
})
