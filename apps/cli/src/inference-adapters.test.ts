/**
 * `0g-compute inference adapters list|deploy|status` and `inference list --detail` (issue 13 row 11), spawned
 * binary against a devnet: an adapter registered for the user is listed, deployed and shown active; an unknown one is
 * a typed error; the list with detail shows health from the devnet's status API, and says when detail is unavailable.
 */
import type { InferenceProvider } from "@0g-compute/devnet"
import { beforeAll, describe, expect, it } from "vitest"
import { useCliDevnet } from "./testing/cli.js"

const TASK = "0f1e2d3c-4b5a-4968-8776-655443322110"

describe("0g-compute inference adapters / list --detail (spawned binary on a devnet)", () => {
  const { devnet, cli, ack } = useCliDevnet({ inference: { settleIntervalMs: 0 } }, 3)
  let provider: InferenceProvider

  beforeAll(() => {
    provider = devnet.inference[0] as InferenceProvider
    provider.lora.register({ taskId: TASK, user: devnet.accounts.users[3]?.address ?? "", baseModel: provider.model })
  })

  it("lists, deploys (waiting until active) and shows an adapter", async () => {
    const name = `ft-${provider.model.replace(/[/. ]/g, "-")}-${TASK.slice(0, 12)}`
    const list = await cli(["inference", "adapters", "list", "--provider", provider.providerAddress, "--json"])
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout).adapters).toEqual([expect.objectContaining({ adapterName: name, state: "ready" })])

    // The adapter named by its task, as `deploy` takes it and `status` may.
    const byTask = ["--provider", provider.providerAddress, "--task-id", TASK, "--base-model", provider.model]
    const deploy = await cli(["inference", "adapters", "deploy", ...byTask, "--wait"])
    expect(deploy.code).toBe(0)
    expect(deploy.stdout).toContain(`${name} is active`)

    const statusOf = (adapter: string, ...extra: ReadonlyArray<string>) =>
      cli(["inference", "adapters", "status", "--provider", provider.providerAddress, "--name", adapter, ...extra])
    const status = await statusOf(name)
    expect(status.stdout).toMatch(/state\s+active/)
    const statusByTask = await cli(["inference", "adapters", "status", ...byTask, "--json"])
    expect(statusByTask.code).toBe(0)
    expect(JSON.parse(statusByTask.stdout)).toMatchObject({ adapterName: name, state: "active" })

    // Chat with it as the model: verified, billed at the base model's prices, the provider's fee to the neuron.
    expect((await cli(["ledger", "add", "5"])).code).toBe(0)
    expect((await ack(provider.providerAddress)).code).toBe(0)
    const chat = await cli([
      "inference",
      "chat",
      "--provider",
      provider.providerAddress,
      "--model",
      name,
      "--json",
      "hi",
    ])
    expect(chat.code).toBe(0)
    const answer = JSON.parse(chat.stdout)
    expect(answer).toMatchObject({ answer: "Echo: hi", usage: { model: name, verdict: "Verified" } })
    expect(BigInt(answer.usage.fee)).toBe(provider.unsettledFee(devnet.accounts.users[3]?.address ?? ""))

    const missing = await statusOf("ft-x-1", "--json")
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stderr).error._tag).toBe("AdapterNotFound")
  })

  it("list --detail: health from the status API, or why detail is unavailable", async () => {
    const detail = await cli(["inference", "list", "--detail", "--status-api", devnet.statusApiUrl ?? "", "--json"])
    expect(detail.code).toBe(0)
    const doc = JSON.parse(detail.stdout)
    expect(doc.services[0]).toMatchObject({ health: { status: "healthy", uptime: 100 } })
    expect(doc.detailUnavailable).toBeUndefined()
    const human = await cli(["inference", "list", "--detail", "--status-api", devnet.statusApiUrl ?? ""])
    expect(human.stdout).toMatch(/healthy/)
    expect(human.stdout).toContain(provider.model)

    const none = await cli(["inference", "list", "--detail"])
    expect(none.code).toBe(0)
    expect(none.stdout).toContain(provider.providerAddress)
    expect(none.stdout).toMatch(/detail unavailable: this network has no status API/)
  })
})
