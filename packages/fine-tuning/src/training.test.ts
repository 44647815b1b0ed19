import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { deadlineLevel } from "./deliverables.js"
import {
  DEFAULT_TRAINING_PARAMS,
  estimateFee,
  estimateTokens,
  PREDEFINED_MODELS,
  parseTrainingConfig,
  resolveModel,
  trainingParamsText,
} from "./training.js"

const fails = (input: string | Record<string, unknown>) => Effect.runPromise(Effect.flip(parseTrainingConfig(input)))

describe("training config", () => {
  it("accepts the official config file verbatim and serialises objects in decimal notation", async () => {
    const text =
      '{"neftune_noise_alpha":5,"num_train_epochs":1,"per_device_train_batch_size":2,"learning_rate":0.0002,"max_steps":3}'
    expect(await Effect.runPromise(parseTrainingConfig(text))).toEqual({ text, params: DEFAULT_TRAINING_PARAMS })
    const fromObject = await Effect.runPromise(
      parseTrainingConfig({ ...DEFAULT_TRAINING_PARAMS, learning_rate: 0.00001 }),
    )
    expect(fromObject.text).toContain('"learning_rate":0.00001,')
    expect(trainingParamsText(DEFAULT_TRAINING_PARAMS)).toBe(text)
    expect(trainingParamsText({ ...DEFAULT_TRAINING_PARAMS, learning_rate: 2.5e-7 })).toContain(
      '"learning_rate":0.00000025,',
    )
  })

  it("rejects extra, forbidden, missing and out-of-range keys, and scientific learning rates", async () => {
    expect(await fails({ ...DEFAULT_TRAINING_PARAMS, lora_r: 8 })).toMatchObject({ field: "lora_r" })
    const { max_steps: _, ...missing } = DEFAULT_TRAINING_PARAMS
    expect(await fails(missing)).toMatchObject({ field: "max_steps", reason: "missing" })
    expect(await fails({ ...DEFAULT_TRAINING_PARAMS, num_train_epochs: 11 })).toMatchObject({
      field: "num_train_epochs",
    })
    expect(await fails({ ...DEFAULT_TRAINING_PARAMS, per_device_train_batch_size: 1.5 })).toMatchObject({
      field: "per_device_train_batch_size",
    })
    expect(await fails({ ...DEFAULT_TRAINING_PARAMS, max_steps: 0 })).toMatchObject({ field: "max_steps" })
    expect(await fails({ ...DEFAULT_TRAINING_PARAMS, neftune_noise_alpha: 11 })).toMatchObject({
      field: "neftune_noise_alpha",
    })
    expect(await fails(trainingParamsText(DEFAULT_TRAINING_PARAMS).replace("0.0002", "2E-4"))).toMatchObject({
      _tag: "MalformedTrainingConfig",
      field: "learning_rate",
    })
    expect(await fails("not json")).toMatchObject({ field: "trainingParams" })
  })
})

describe("models and fees", () => {
  it("resolves names and hashes, and lists what exists when unknown", async () => {
    const mainnet = PREDEFINED_MODELS.mainnet
    expect((await Effect.runPromise(resolveModel("Qwen3-32B", mainnet))).hash).toMatch(/^0x2e6f96/)
    const byHash = "0xB4F76A886B8655C92BB021922D60B5E4D9271A5C9DA98B6CB10937A06C2C75A7"
    expect((await Effect.runPromise(resolveModel(byHash, mainnet))).name).toBe("Qwen2.5-0.5B-Instruct")
    expect(await Effect.runPromise(Effect.flip(resolveModel("llama", mainnet)))).toMatchObject({
      _tag: "UnknownModel",
      available: ["Qwen2.5-0.5B-Instruct", "Qwen3-32B"],
    })
  })

  it("estimates tokens as words and the fee as tokens × price × epochs × coefficient + storage fee", () => {
    expect(estimateTokens(new TextEncoder().encode('{"text": "a b c"}\n{"text": "d"}\n'))).toBe(6)
    expect(estimateTokens(new Uint8Array())).toBe(0)
    expect(estimateFee(6, 1_000_000_000n, 3, { priceCoefficient: 1n, storageFee: 0n })).toBe(18_000_000_000n)
    expect(estimateFee(6, 1_000_000_000n, 3, { priceCoefficient: 8n, storageFee: 5n })).toBe(144_000_000_005n)
  })

  it("grades the time left before the penalty deadline", () => {
    expect(deadlineLevel(20_000n, 21_600n)).toBe("ok")
    expect(deadlineLevel(10_000n, 21_600n)).toBe("warn")
    expect(deadlineLevel(5_000n, 21_600n)).toBe("urgent")
    expect(deadlineLevel(1_000n, 1_800_000n)).toBe("urgent")
    expect(deadlineLevel(0n, 21_600n)).toBe("overdue")
  })
})
