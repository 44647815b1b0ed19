/**
 * Verification levels and the signed-text forms of the 2026 broker (docs/broker-2026.md).
 *
 * - "bytes-bound": the TEE signature is valid and both hashes in the signed text are the sha256 of the exact bytes
 *   we sent and received (or of a documented rewrite of them that we recomputed).
 * - "signer-bound": the TEE signature is valid but part of the signed text could not be recomputed — e.g. a request
 *   the provider rewrote; `unbound` on the receipt says which part and why.
 * - "unverifiable": a provider that never signs (a "standard" provider), used only with an explicit opt-in.
 *
 * Signed texts: `sha256(req):sha256(res)` (signChatWithKey), and for centralized providers the routing proof
 * `sha256(req):sha256(res):providerType:providerIdentity:tlsCertFingerprint` (FormatRoutingProofText), and for image
 * services of a decentralized provider `sha256(req):sha256(img0),sha256(img1)…` over the decoded images
 * (signImageResponse; one image reads like the first form).
 */
import type { ServiceView } from "../service-view.js"

export type VerificationLevel = "bytes-bound" | "signer-bound" | "unverifiable"

/** The claims of a centralized provider's routing proof: signed by the broker's TEE, not checkable by the client. */
export interface RoutingProof {
  readonly providerType: string
  readonly providerIdentity: string
  /** sha256 of the upstream's TLS leaf certificate, lower-case hex. */
  readonly tlsCertFingerprint: string
}

export type SignedText =
  | { readonly _tag: "Hashes"; readonly request: string; readonly response: string }
  | { readonly _tag: "Routing"; readonly request: string; readonly response: string; readonly routing: RoutingProof }
  | { readonly _tag: "Images"; readonly request: string; readonly images: ReadonlyArray<string> }
  | { readonly _tag: "Other" }

const HEX64 = /^[0-9a-f]{64}$/

/** Reads the signed text's form. Hashes compare lower-case; a routing proof's fingerprint is its last field. */
export const parseSignedText = (text: string): SignedText => {
  const parts = text.split(":")
  const request = (parts[0] ?? "").toLowerCase()
  const response = (parts[1] ?? "").toLowerCase()
  if (parts.length === 2 && HEX64.test(request) && response.includes(",")) {
    const images = response.split(",")
    return images.every((h) => HEX64.test(h)) ? { _tag: "Images", request, images } : { _tag: "Other" }
  }
  if (!HEX64.test(request) || !HEX64.test(response)) return { _tag: "Other" }
  if (parts.length === 2) return { _tag: "Hashes", request, response }
  const fingerprint = (parts[parts.length - 1] ?? "").toLowerCase()
  if (parts.length < 5 || !HEX64.test(fingerprint)) return { _tag: "Other" }
  return {
    _tag: "Routing",
    request,
    response,
    routing: {
      providerType: parts[2] ?? "",
      providerIdentity: parts.slice(3, -1).join(":"),
      tlsCertFingerprint: fingerprint,
    },
  }
}

const CHATCMPL = "chatcmpl-"

/**
 * The key to ask `/v1/proxy/signature/{key}` for. A broker-signed response is cached under the broker's chat key:
 * the `ZG-Res-Key` header, or — when that header is absent (a proxy or CORS hid it) — the body id, which the 2026
 * broker rewrites to `chatcmpl-<chatKey>`. A separated decentralized provider's LLM TEE signs under its own id (the
 * body id as is).
 */
export const signatureKey = (
  service: Pick<ServiceView, "brokerSigned">,
  headerKey: string | undefined,
  bodyId: string | undefined,
): string | undefined => {
  if (headerKey !== undefined && headerKey !== "") return headerKey
  if (bodyId === undefined || bodyId === "") return undefined
  return service.brokerSigned && bodyId.startsWith(CHATCMPL) ? bodyId.slice(CHATCMPL.length) : bodyId
}

const short = (h: string) => `${h.slice(0, 10)}…`

/** The `unbound` reason of an exchange whose signed request hash is not one we could recompute. */
export const requestUnbound = (signed: string, sent: string, note: string | undefined): string =>
  `request: the signed request hash ${short(signed)} is not the sha256 of the bytes sent (${short(sent)})` +
  `${note === undefined ? "" : ` — ${note}`}; the provider rewrote the request in a way we could not recompute ` +
  "(e.g. an upstream model id or a translated field), so only the TEE signer vouches for the request it answered"
