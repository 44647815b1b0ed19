/**
 * Every transfer into a fine-tuning sub-account acknowledges the provider's TEE signer on chain (addAccount and
 * depositFund set `acknowledged`). So creating a task must not fund a provider the user never acknowledged: that
 * would skip the quote check of `acknowledgeProvider` and let the provider settle against the money. It is refused
 * before any transaction; after the acknowledgement the same call funds and creates.
 */
import { describe, expect, it } from "vitest"
import { failure, mockTask, PROVIDER, useHarness } from "../src/testing/harness.js"

describe("a task with a provider the user never acknowledged", () => {
  const h = useHarness()

  it("is ProviderNotAcknowledged with nothing sent; acknowledged, it is funded and created", async () => {
    const user = await h.user()
    const { datasetHash, tokens } = await user.client.uploadDataset(PROVIDER, await h.datasetFile("unacked.jsonl"))
    const sent = await h.rpc.getTransactionCount(user.wallet.address) // the ledger creation
    const e = await failure(user.client.createTask(mockTask(datasetHash, { tokens })))
    expect(e).toMatchObject({ _tag: "ProviderNotAcknowledged", provider: PROVIDER })
    expect(await h.rpc.getTransactionCount(user.wallet.address)).toBe(sent)
    expect(h.ft.tasks().filter((t) => t.json.userAddress === user.wallet.address)).toEqual([])

    await user.client.acknowledgeProvider(PROVIDER, { allowDevnet: true })
    const { taskId } = await user.client.createTask(mockTask(datasetHash, { tokens }))
    expect((await user.client.getTask(PROVIDER, taskId)).userAddress).toBe(user.wallet.address)
  })
})
