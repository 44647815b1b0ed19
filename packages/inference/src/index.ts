/**
 * @0g-compute/inference — the inference client, browser-safe entry.
 *
 * Effect API: the services (`Directory`, `Attestation`, `Funding`, `RequestAuth`, `ApiKeys`, `InferenceRequests`,
 * `UsageMeter`) and their layers (`inferenceLayerOn(stack, options)`, `inferenceReadLayerOn(chain, options)`).
 * Promise facade: `createInferenceClient`, `createInferenceReader`.
 * Node-only parts (the local OpenAI-compatible gateway, a file key store) live in `@0g-compute/inference/node`.
 */
export * from "./adapters.js"
export * from "./attestation/assessor.js"
export * from "./attestation/pins.js"
export * from "./attestation/quote.js"
export * from "./attestation/report.js"
export * from "./attestation/service.js"
export * from "./attestation/tdx.js"
export * from "./auth/api-keys.js"
export * from "./auth/key-store.js"
export * from "./auth/session.js"
export * from "./billing.js"
export * from "./billing-plans.js"
export type { ReadError } from "./chain-reads.js"
export * from "./config.js"
export * from "./directory.js"
export * from "./errors.js"
export * from "./facade.js"
export type { ExchangeResult, InferenceFetch, InferenceFetchOptions } from "./fetch/adapter.js"
export { canonicalJson } from "./fetch/canonical.js"
export * from "./funding.js"
export { errorDetail, mapRejection, type ProviderRejection } from "./http.js"
export * from "./layers.js"
export * from "./requests.js"
export { AdditionalInfo, type SignaturePayload } from "./schemas.js"
export * from "./service-view.js"
export * from "./status-api.js"
export * from "./usage.js"
export * from "./verify/levels.js"
export { SseScanner, type TokenUsage } from "./verify/sse.js"
export * from "./verify/verifier.js"
