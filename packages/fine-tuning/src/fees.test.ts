import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { FINE_TUNING_MODEL_FEES, fineTuningFee, publishedFeeTerms, taskFee } from "./fees.js"
import { ModelJson } from "./http.js"
import { shortfall } from "./tasks.js"
import { type ModelInfo, PREDEFINED_MODELS } from "./training.js"

const mainnet = (name: string): ModelInfo => {
  const m = PREDEFINED_MODELS.mainnet.find((x) => x.name === name)
  if (m === undefined) throw new Error(`no ${name}`)
  return m
}

describe("the broker's fine-tuning fee (setup.go Setup.verify, const.go SCRIPT_MAP)", () => {
  // 12345 tokens × 1 gwei × 3 epochs × coefficient + storage fee
  it.each([
    {
      model: "Qwen2.5-0.5B-Instruct",
      coefficient: 1n,
      storage: 10_000_000_000_000_000n,
      training: 37_035_000_000_000n,
      total: 10_037_035_000_000_000n,
    },
    {
      model: "Qwen3-32B",
      coefficient: 8n,
      storage: 90_000_000_000_000_000n,
      training: 296_280_000_000_000n,
      total: 90_296_280_000_000_000n,
    },
  ])("reproduces tokens × price × epochs × coefficient + storage fee for $model", async (row) => {
    const fee = await Effect.runPromise(taskFee(mainnet(row.model), 12345, 1_000_000_000n, 3))
    expect(fee).toMatchObject({
      priceCoefficient: row.coefficient,
      storageFee: row.storage,
      trainingFee: row.training,
      total: row.total,
      termsFrom: "table",
    })
  })

  it("is exact in bigint beyond 2^53: no float anywhere", () => {
    expect(fineTuningFee(9_007_199_254_740_993n, 3n, 1, { priceCoefficient: 8n, storageFee: 1n })).toBe(
      216_172_782_113_783_833n,
    )
  })

  it("keys the table by hash, case-insensitively; the predefined models are all in it", async () => {
    for (const m of [...PREDEFINED_MODELS.mainnet, ...PREDEFINED_MODELS.devnet]) {
      expect(FINE_TUNING_MODEL_FEES.some((f) => f.hash === m.hash && f.name === m.name)).toBe(true)
    }
    const upper = { ...mainnet("Qwen3-32B"), hash: mainnet("Qwen3-32B").hash.toUpperCase().replace("0X", "0x") }
    expect((await Effect.runPromise(taskFee(upper, 1, 1n, 1))).priceCoefficient).toBe(8n)
  })

  it("a token count that is no whole number ≥ 0 is InvalidTokenCount, never a lower fee or a RangeError", async () => {
    for (const tokens of [-100, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      const e = await Effect.runPromise(Effect.flip(taskFee(mainnet("Qwen3-32B"), tokens, 1_000_000_000n, 3)))
      expect(e).toMatchObject({ _tag: "InvalidTokenCount", tokens })
    }
    expect((await Effect.runPromise(taskFee(mainnet("Qwen3-32B"), 0, 1_000_000_000n, 3))).trainingFee).toBe(0n)
  })

  it("an unknown model is ModelFeeUnknown, not a guess; explicit terms or published terms take precedence", async () => {
    const custom: ModelInfo = { name: "my-model", hash: `0x${"ab".repeat(32)}`, source: "provider" }
    expect(await Effect.runPromise(Effect.flip(taskFee(custom, 10, 1n, 1)))).toMatchObject({
      _tag: "ModelFeeUnknown",
      model: "my-model",
      hash: custom.hash,
    })
    const published = { ...custom, feeTerms: { priceCoefficient: 2n, storageFee: 7n } }
    expect(await Effect.runPromise(taskFee(published, 10, 3n, 1))).toMatchObject({ total: 67n, termsFrom: "provider" })
    const explicit = { priceCoefficient: 1n, storageFee: 0n }
    expect(await Effect.runPromise(taskFee(published, 10, 3n, 1, explicit))).toMatchObject({
      total: 30n,
      termsFrom: "explicit",
    })
    // A provider publishing terms for a tabled model overrides the table.
    const qwen = { ...mainnet("Qwen3-32B"), feeTerms: { priceCoefficient: 4n, storageFee: 0n } }
    expect((await Effect.runPromise(taskFee(qwen, 1, 1n, 1))).total).toBe(4n)
  })

  it("reads published terms leniently: digits or safe integers, both present, else ignored", () => {
    expect(publishedFeeTerms({ priceCoefficient: 8, storageFee: "90000000000000000" })).toEqual({
      priceCoefficient: 8n,
      storageFee: 90_000_000_000_000_000n,
    })
    expect(publishedFeeTerms({ priceCoefficient: 8 })).toBeUndefined()
    expect(publishedFeeTerms({ priceCoefficient: -1, storageFee: 0 })).toBeUndefined()
    expect(publishedFeeTerms({ priceCoefficient: 1.5, storageFee: 0 })).toBeUndefined()
    expect(publishedFeeTerms({ priceCoefficient: "x", storageFee: "1" })).toBeUndefined()
    expect(publishedFeeTerms({ priceCoefficient: 1e300, storageFee: 1 })).toBeUndefined()
  })
})

describe("the provider's model list (/v1/model, config.CustomizedModel)", () => {
  const decode = Schema.decodeUnknownSync(Schema.Array(ModelJson))

  it("accepts dataType as the broker's integer and as the older name", () => {
    const list = decode([
      { name: "a", hash: "0x01", image: "img", dataType: 0, trainingScript: "/app/t.py", usageFile: "", localPath: "" },
      { name: "b", hash: "0x02", dataType: 1 },
      { name: "c", hash: "0x03", dataType: "text" },
      { name: "d", hash: "0x04", dataType: 7 },
      { name: "e", hash: "0x05" },
    ])
    expect(list.map((m) => m.dataType)).toEqual(["text", "image", "text", "type 7", undefined])
  })

  it("keeps a list whose fee fields are malformed (they are ignored, the table applies)", () => {
    const [m] = decode([{ name: "a", hash: "0x01", dataType: 0, priceCoefficient: { x: 1 }, storageFee: null }])
    expect(m === undefined ? "missing" : publishedFeeTerms(m)).toBeUndefined()
    expect(() => decode([{ name: "a", hash: "0x01", dataType: true }])).toThrow()
  })
})

describe("the broker's shortfall in a task log", () => {
  it("reads both wordings from the last failure line", () => {
    const now = "setup failed: insufficient account balance after pending refund: required 1234, available 1000\n"
    expect(shortfall(`progress: SettingUp\n${now}`)).toEqual({ required: 1234n, available: 1000n })
    const old = "task failed: insufficient account balance after pending refund: expected 99, got -5\nprogress: Failed"
    expect(shortfall(old)).toEqual({ required: 99n, available: -5n })
  })

  it("ignores a shortfall of an earlier setup attempt when a later one failed otherwise", () => {
    const log = [
      "setup failed: insufficient account balance after pending refund: required 2, available 1",
      "setup failed: invalid nonce: expected 5, got 4",
    ].join("\n")
    expect(shortfall(log)).toBeUndefined()
    expect(shortfall("insufficient account balance after pending refund: required 2, available 1")).toBeUndefined()
  })
})
