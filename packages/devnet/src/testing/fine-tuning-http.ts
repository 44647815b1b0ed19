/**
 * Test support (not built): a raw HTTP client of the emulated fine-tuning provider's user routes, signing with
 * @0g-compute/crypto directly the way any client would (the real client package is separate).
 */
import { type SignedCreateTask, signCreateTask, signDatasetUpload } from "@0g-compute/crypto"
import { Effect } from "effect"
import type { Signer } from "ethers"

/** The emulated `mock-model`'s root hash. */
export const MOCK_MODEL = "0xcb42b5ca9e998c82dd239ef2d20d22a4ae16b3dc0ce0a855c93b52c7c2bab6dc"

export const postJson = (url: string, body: unknown) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })

/** POSTs `dataset` as the signed multipart upload of `owner` to the provider at `base` (its `/v1` root). */
export const uploadDataset = async (base: string, signer: Signer, owner: string, dataset: Uint8Array<ArrayBuffer>) => {
  const up = await Effect.runPromise(signDatasetUpload(signer))
  const form = new FormData()
  form.set("file", new Blob([dataset], { type: "application/octet-stream" }), "data.jsonl")
  form.set("signature", up.signature)
  form.set("timestamp", String(up.timestamp))
  return fetch(`${base}/user/${owner}/dataset`, { method: "POST", body: form })
}

/** The create-task body for mock-model with a zero client fee (the provider computes it). */
export const taskBody = (signed: SignedCreateTask, trainingParams: string) => ({
  ...signed,
  nonce: signed.nonce.toString(),
  preTrainedModelHash: MOCK_MODEL,
  trainingParams,
  fee: "0",
})

/** Signs and POSTs a task over `datasetHash` without waiting for a free slot; the signed message is returned too. */
export const postTask = async (base: string, signer: Signer, owner: string, datasetHash: string, params: string) => {
  const signed = await Effect.runPromise(signCreateTask(signer, { datasetHash }))
  const res = await postJson(`${base}/user/${owner}/task`, { ...taskBody(signed, params), wait: false })
  return { signed, res }
}
