/**
 * The mock attestation (`GET /v1/quote`, inference-protocol.md §10) and the model catalogue (`GET /v1/models`, §11).
 * The quote declares itself devnet: no TDX quote, no GPU evidence, `"devnet": true`. What it does carry is checkable
 * the way a client checks a real one: report_data binds the TEE signer, the compose hash matches the event log.
 */
import { createHash } from "node:crypto"

export interface QuoteParams {
  readonly teeSigner: string
  readonly provider: string
  readonly model: string
}

/** Base64 of the signer address's ASCII (EIP-55), zero-padded to the 64-byte TDX REPORTDATA. */
export const reportData = (teeSigner: string): string => {
  const bytes = new Uint8Array(64)
  bytes.set(new TextEncoder().encode(teeSigner))
  return Buffer.from(bytes).toString("base64")
}

const appCompose = (p: QuoteParams): string =>
  JSON.stringify({
    manifest_version: 2,
    name: "0g-devnet-inference-emulator",
    runner: "docker-compose",
    docker_compose_file: `services:\n  broker:\n    image: "0g-devnet/inference-emulator:local"\n    environment:\n      MODEL: "${p.model}"\n`,
    devnet: true,
  })

export const makeQuote = (p: QuoteParams): Record<string, unknown> => {
  const compose = appCompose(p)
  const composeHash = createHash("sha256").update(compose, "utf8").digest("hex")
  return {
    devnet: true,
    report_data: reportData(p.teeSigner),
    intel_quote: "devnet_mock_intel_quote",
    nvidia_payload: "devnet_mock_nvidia_payload",
    event_log: [
      { imr: 3, event_type: 134217729, digest: composeHash, event: "compose-hash", event_payload: composeHash },
    ],
    vm_config: "",
    tcb_info: { app_compose: compose },
    info: { app_id: "devnet", provider: p.provider, signing_address: p.teeSigner },
  }
}

export interface ModelsParams {
  readonly model: string
  readonly provider: string
  readonly inputPrice: bigint
  readonly outputPrice: bigint
}

/** An OpenAI-style list (`data` array) with the 0.9.0 model-card fields the SDK reads; prices in neuron per token. */
export const modelsList = (p: ModelsParams): Record<string, unknown> => ({
  object: "list",
  data: [
    {
      id: p.model,
      object: "model",
      created: 0,
      owned_by: p.provider,
      canonical_id: p.model,
      context_length: 8192,
      pricing: { prompt: p.inputPrice.toString(), completion: p.outputPrice.toString() },
      tee_attested: true,
      devnet: true,
    },
  ],
})
