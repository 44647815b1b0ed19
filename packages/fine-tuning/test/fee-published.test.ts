/**
 * The provider path of the fee terms, over real HTTP: an emulated provider that publishes a price coefficient and a
 * storage fee beside its customized models in `/v1/model` (the 2026 broker publishes none; the table path is
 * fee.test.ts) and charges them. The client quotes with those terms before creating the task, funds that, and the
 * provider's setup charges exactly the quoted fee.
 */
import { fineTuningFee } from "@0g-compute/core"
import { describe, expect, it } from "vitest"
import type { TaskFee } from "../src/fees.js"
import { mockTask, PARAMS, PROVIDER, useHarness } from "../src/testing/harness.js"

const GWEI = 1_000_000_000n
const PUBLISHED = { priceCoefficient: 3n, storageFee: 20_000_000_000_000_000n }

describe("fee terms published by the provider", () => {
  const h = useHarness({ publishFeeTerms: PUBLISHED })

  it("the model list carries them, the quote uses them, the provider charges exactly that", async () => {
    const raw = (await (await fetch(`${h.ft.url}/v1/model`)).json()) as Array<Record<string, unknown>>
    expect(raw[0]).toMatchObject({ name: "mock-model", priceCoefficient: 3, storageFee: "20000000000000000" })

    const user = await h.user()
    const provider = PROVIDER
    await user.client.acknowledgeProvider(provider, { allowDevnet: true })
    const { datasetHash, tokens } = await user.client.uploadDataset(provider, await h.datasetFile("published.jsonl"))
    const expected = fineTuningFee(tokens, GWEI, PARAMS.num_train_epochs, PUBLISHED)
    const seen: TaskFee[] = []
    const created = await user.client.createTask(mockTask(datasetHash, { tokens, onFee: (fee) => seen.push(fee) }))
    expect(seen).toEqual([
      expect.objectContaining({ termsFrom: "provider", priceCoefficient: 3n, storageFee: PUBLISHED.storageFee }),
    ])
    expect(seen[0]?.total).toBe(expected)
    expect(created.estimatedFee).toBe(expected)
    await user.client.watch(provider, created.taskId, { until: "SetUp" })
    expect((await user.client.getTask(provider, created.taskId)).fee).toBe(expected)
  })
})
