/**
 * The fee against the emulated provider, which charges like the broker (setup.go Setup.verify with the shared
 * per-model table): the fee is reported before anything is funded, the sub-account covers it, and a task the provider
 * finds under-funded fails with the broker's wording, surfaced as `InsufficientFunds` with its amounts.
 */

import { LedgerClient } from "@0g-compute/contracts"
import { fineTuningFee, fineTuningFeeTerms } from "@0g-compute/core"
import { countTokens } from "@0g-compute/devnet/fine-tuning"
import { describe, expect, it } from "vitest"
import type { TaskFee } from "../src/fees.js"
import { createFineTuningClient } from "../src/node/index.js"
import { DATASET, failure, mockTask, PARAMS, PROVIDER, useHarness } from "../src/testing/harness.js"

const GWEI = 1_000_000_000n

describe("fine-tuning fee", () => {
  const h = useHarness()
  const provider = PROVIDER

  it("the provider's model list (dataType an integer, as the broker sends it) decodes", async () => {
    const user = await h.user()
    const raw = await (await fetch(`${h.ft.url}/v1/model`)).json()
    expect(raw[0]).toMatchObject({ name: "mock-model", dataType: 0 })
    const models = await user.client.listModels(provider)
    expect(models.find((m) => m.source === "provider")).toMatchObject({ name: "mock-model", dataType: "text" })
  })

  it("reports the broker's fee before funding, funds it, and the provider charges exactly that", async () => {
    const user = await h.user()
    await user.client.acknowledgeProvider(provider, { allowDevnet: true })
    const { datasetHash, tokens } = await user.client.uploadDataset(provider, await h.datasetFile("fee.jsonl"))
    const quoted = await user.client.quoteTaskFee({ provider, model: "mock-model", trainingParams: PARAMS, tokens })
    // What the provider holds for this user at the moment the fee is reported: nothing yet.
    const tasksOfUser = () => h.ft.tasks().filter((t) => t.json.userAddress === user.wallet.address).length
    const seen: Array<{ fee: TaskFee; tasks: number }> = []
    const created = await user.client.createTask(
      mockTask(datasetHash, { tokens, onFee: (fee) => seen.push({ fee, tasks: tasksOfUser() }) }),
    )
    expect(tasksOfUser()).toBe(1)
    const terms = fineTuningFeeTerms(created.modelHash)
    expect(terms).toMatchObject({ priceCoefficient: 1n, storageFee: 10_000_000_000_000_000n })
    const expected = fineTuningFee(
      tokens,
      GWEI,
      PARAMS.num_train_epochs,
      terms ?? { priceCoefficient: 0n, storageFee: 0n },
    )
    expect(seen).toEqual([{ fee: quoted, tasks: 0 }])
    expect(quoted).toMatchObject({ tokens, pricePerToken: GWEI, epochs: 2, total: expected, termsFrom: "table" })
    expect(created.estimatedFee).toBe(expected)
    await user.client.watch(provider, created.taskId, { until: "SetUp" })
    expect((await user.client.getTask(provider, created.taskId)).fee).toBe(expected)
  })

  it("a fee above the caller's maxFee is TaskFeeAboveMaximum before anything is funded or sent; at the fee it goes", async () => {
    const user = await h.user()
    await user.client.acknowledgeProvider(provider, { allowDevnet: true })
    const { datasetHash, tokens } = await user.client.uploadDataset(provider, await h.datasetFile("max-fee.jsonl"))
    const quoted = await user.client.quoteTaskFee({ provider, model: "mock-model", trainingParams: PARAMS, tokens })
    const sent = await h.rpc.getTransactionCount(user.wallet.address)
    const tasksOfUser = () => h.ft.tasks().filter((t) => t.json.userAddress === user.wallet.address).length
    const e = await failure(user.client.createTask(mockTask(datasetHash, { tokens, maxFee: quoted.total - 1n })))
    expect(e).toMatchObject({ _tag: "TaskFeeAboveMaximum", provider, fee: quoted.total, maximum: quoted.total - 1n })
    expect(await h.rpc.getTransactionCount(user.wallet.address)).toBe(sent)
    expect(tasksOfUser()).toBe(0)
    const created = await user.client.createTask(mockTask(datasetHash, { tokens, maxFee: quoted.total }))
    expect(created.estimatedFee).toBe(quoted.total)
    expect(tasksOfUser()).toBe(1)
  })

  it("terms a provider publishes in its model list take precedence over the table", async () => {
    const user = await h.user()
    // The emulator's real /v1/model reply, with the two fields a future broker might add (one as a digit string).
    const publishing: typeof fetch = async (input, init) => {
      const res = await globalThis.fetch(input, init)
      if (!String(input).endsWith("/v1/model")) return res
      const list = (await res.json()) as Array<Record<string, unknown>>
      const body = JSON.stringify(list.map((m) => ({ ...m, priceCoefficient: 3, storageFee: "5" })))
      return new Response(body, { status: 200, headers: { "content-type": "application/json" } })
    }
    const client = await createFineTuningClient({
      privateKey: user.key,
      rpcUrl: h.devnet.rpcUrl,
      contracts: h.devnet.addresses,
      fetch: publishing,
    })
    try {
      const fee = await client.quoteTaskFee({ provider, model: "mock-model", trainingParams: PARAMS, tokens: 7 })
      expect(fee).toMatchObject({ priceCoefficient: 3n, storageFee: 5n, total: 7n * GWEI * 2n * 3n + 5n })
      expect(fee.termsFrom).toBe("provider")
      const plain = await user.client.quoteTaskFee({ provider, model: "mock-model", trainingParams: PARAMS, tokens: 7 })
      expect(plain).toMatchObject({ termsFrom: "table", total: 7n * GWEI * 2n + 10_000_000_000_000_000n })
    } finally {
      await client.close()
    }
  })

  it("an under-funded task fails in setup with the broker's message; the client surfaces InsufficientFunds", async () => {
    const user = await h.user()
    await user.client.acknowledgeProvider(provider, { allowDevnet: true }) // creates the sub-account with 1 0G
    const ledger = await LedgerClient.connect({
      privateKey: user.key,
      rpcUrl: h.devnet.rpcUrl,
      contracts: h.devnet.addresses,
    })
    await ledger.retrieve("fine-tuning", [provider]) // all of it pending refund: 0 spendable
    await ledger.close()
    const { datasetHash } = await user.client.uploadDataset(provider, await h.datasetFile("short.jsonl"))
    // An estimate of 1 token (a tokenizer counting fewer tokens than the provider's) funds too little.
    const created = await user.client.createTask({
      provider,
      model: "mock-model",
      datasetHash,
      trainingParams: PARAMS,
      tokens: 1,
    })
    const terms = { priceCoefficient: 1n, storageFee: 10_000_000_000_000_000n }
    const charged = fineTuningFee(countTokens(new TextEncoder().encode(DATASET)), GWEI, 2, terms)
    expect(created.estimatedFee).toBe(fineTuningFee(1, GWEI, 2, terms))
    const e = await failure(user.client.watch(provider, created.taskId))
    expect(e).toMatchObject({
      _tag: "InsufficientFunds",
      provider,
      required: charged,
      available: created.estimatedFee,
    })
    const log = await user.client.getLog(provider, created.taskId)
    expect(log).toContain(
      `insufficient account balance after pending refund: required ${charged}, available ${created.estimatedFee}`,
    )
  })
})
