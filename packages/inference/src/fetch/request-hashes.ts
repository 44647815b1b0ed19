/**
 * The request hashes a provider's signature may cover: ours over the exact bytes sent, plus those of the rewrites the
 * broker documents and we can reproduce (a model mapping the caller gave, RewriteLoRARequest for an adapter). A match
 * on a rewrite stays bytes-bound; anything else is signer-bound (verify/levels.ts).
 */
import type { ServiceView } from "../service-view.js"
import { sha256Hex } from "../verify/digests.js"
import { canonicalJson } from "./canonical.js"
import type { Prepared } from "./prepare.js"

const encoder = new TextEncoder()

export const expectedRequestHashes = (
  upstreamModel: string | undefined,
  prepared: Prepared,
  base: { requestHash: string },
  svc: ServiceView,
) => {
  const json = prepared.json
  // RewriteLoRARequest: `ft-…` → the service model plus `lora_adapter_name`.
  const lora =
    json !== undefined && typeof json.model === "string" && json.model.startsWith("ft-")
      ? { ...json, model: svc.model, lora_adapter_name: json.model }
      : undefined
  const rewrites = [
    ...(upstreamModel === undefined || json === undefined || json.model === upstreamModel
      ? []
      : [{ ...json, model: upstreamModel }]),
    ...(lora === undefined ? [] : [lora, ...(upstreamModel === undefined ? [] : [{ ...lora, model: upstreamModel }])]),
  ]
  const alternatives =
    rewrites.length === 0 ? undefined : rewrites.map((r) => sha256Hex(encoder.encode(canonicalJson(r).text)))
  return {
    requestHash: base.requestHash,
    ...(alternatives === undefined ? {} : { requestAlternatives: alternatives }),
    ...(prepared.canonical === false
      ? { requestNote: "the body holds a lone surrogate, which the broker re-encodes as U+FFFD" }
      : {}),
  }
}
