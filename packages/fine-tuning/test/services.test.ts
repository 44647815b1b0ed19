/**
 * The Effect API used directly: the capability services over `fineTuningLayerOn`, with nothing else provided. Their
 * methods run the whole flow (the progress Stream included), and the layer's options are what the operations read as
 * `FineTuningConfig`.
 */
import { connectionStackLayer } from "@0g-compute/contracts"
import { walletLayerFromPrivateKey } from "@0g-compute/core"
import { Effect, Layer, type Redacted, Stream } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { estimateTokens } from "../src/index.js"
import {
  FineTuningDeliverables,
  FineTuningFiles,
  type FineTuningOptions,
  FineTuningProviders,
  type FineTuningServices,
  FineTuningTasks,
  fineTuningLayerOn,
} from "../src/node/index.js"
import { CHUNK_SIZE, DATASET, PARAMS, PROVIDER, type User, useHarness } from "../src/testing/harness.js"

describe("fine-tuning services", () => {
  const h = useHarness()
  let bob: User

  beforeAll(async () => {
    bob = await h.user()
  })

  const stackOf = (key: Redacted.Redacted<string>) =>
    connectionStackLayer({ rpcUrl: h.devnet.rpcUrl, contracts: h.devnet.addresses }, walletLayerFromPrivateKey(key))
  const runWith = <A, E>(effect: Effect.Effect<A, E, FineTuningServices>, options: FineTuningOptions = {}) =>
    Effect.runPromise(
      Effect.provide(
        effect,
        fineTuningLayerOn(stackOf(bob.key), {
          pollIntervalMs: 10,
          maxPollIntervalMs: 100,
          chunkSize: CHUNK_SIZE,
          ...options,
        }),
      ),
    )

  it("acknowledge → upload → create → watch (Stream) → acknowledge the model → key, through the services only", async () => {
    const dataset = new TextEncoder().encode(DATASET)
    const r = await runWith(
      Effect.gen(function* () {
        const providers = yield* FineTuningProviders
        const tasks = yield* FineTuningTasks
        const deliverables = yield* FineTuningDeliverables
        const files = yield* FineTuningFiles
        const ack = yield* providers.acknowledge(PROVIDER, { allowDevnet: true })
        const { datasetHash } = yield* tasks.uploadDataset(PROVIDER, dataset)
        const created = yield* tasks.create({
          provider: PROVIDER,
          model: "mock-model",
          datasetHash,
          trainingParams: PARAMS,
          tokens: estimateTokens(dataset),
        })
        const progress = Array.from(yield* Stream.runCollect(tasks.watch(PROVIDER, created.taskId)), (t) => t.progress)
        const delivered = yield* deliverables.get(PROVIDER, created.taskId)
        const pending = yield* deliverables.pending()
        const model = yield* files.acknowledgeModel(PROVIDER, created.taskId, `${h.dir}/${created.taskId}.svc.enc`)
        const secret = yield* deliverables.waitForSecret(PROVIDER, created.taskId)
        const after = yield* deliverables.get(PROVIDER, created.taskId)
        return { ack, created, progress, delivered, pending, model, secret, after }
      }),
    )
    expect(r.ack.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(r.progress.at(-1)).toBe("Delivered")
    expect(r.delivered).toMatchObject({ taskId: r.created.taskId, acknowledged: false, secretReleased: false })
    expect(r.pending.map((p) => p.taskId)).toContain(r.created.taskId)
    expect(r.model).toMatchObject({ taskId: r.created.taskId, modelRootHash: r.delivered.modelRootHash })
    expect(r.model.txHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(r.secret).not.toBe("0x")
    expect(r.after).toMatchObject({ acknowledged: true, settled: true, secretReleased: true })
  })

  it("the layer's options are the operations' FineTuningConfig; without them the defaults apply", async () => {
    const models = FineTuningProviders.use((p) => p.models(PROVIDER))
    const tight = { metadata: { connectMs: 10_000, firstByteMs: 10_000, idleMs: 10_000, totalMs: 10_000, maxBytes: 8 } }
    const refused = await runWith(Effect.flip(models), { providerLimits: tight })
    expect(refused).toMatchObject({ _tag: "ProviderBodyTooLarge", limit: 8 })
    // The same call on the default settings (the service's own layer, no config provided at all) passes.
    const defaults = await Effect.runPromise(
      Effect.provide(models, Layer.provide(FineTuningProviders.layer, stackOf(bob.key))),
    )
    expect(defaults.map((m) => `${m.source}:${m.name}`)).toEqual(["predefined:mock-model", "provider:mock-model"])
  })
})
