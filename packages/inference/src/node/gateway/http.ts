/**
 * The gateway's HTTP plumbing: OpenAI-style error bodies (core's server helper, so the router answers the same), the
 * provider calls, and which provider errors fail over.
 */
import type { ServerResponse } from "node:http"
import { describeCause } from "@0g-compute/core"
import { HttpFailure, jsonErrorBody } from "@0g-compute/core/node"
import type { InferenceFetchError } from "../../fetch/exchange.js"
import { VERIFICATION_FAILURE_TAGS } from "../../verify/verifier.js"
import type { Router } from "./router.js"

export interface FailedAttempt {
  readonly provider: string
  readonly code: string
  readonly message: string
}
export type FailedAttempts = ReadonlyArray<FailedAttempt>

/** 502 `NoProviderAvailable`: every candidate for `what` (a model, a media route) failed; `attempts` says how. */
export const noProviderAvailable = (what: string, attempts: FailedAttempts) =>
  new HttpFailure(502, `every provider failed for ${what}`, {
    code: "NoProviderAvailable",
    type: "provider_error",
    extra: { attempts },
  })

/** The fetch failures another provider may not have; typed against the fetch's union so a renamed tag fails tsc. */
const failoverTags: ReadonlyArray<InferenceFetchError["_tag"]> = [
  "ProviderUnreachable",
  "ProviderStreamFailed",
  ...VERIFICATION_FAILURE_TAGS,
  "InsufficientSubAccountBalance",
  "SubAccountMissing",
  "ProviderNotAcknowledged",
  "ServiceNotVerifiable",
  "ServiceNotFound",
  "TokenExpired",
  "TokenRevoked",
  "TokenRejected",
  "MalformedProviderResponse",
]
const FAILOVER_TAGS: ReadonlySet<string> = new Set(failoverTags)

export const tagOf = (e: unknown): string => (e as { _tag?: unknown })?._tag?.toString() ?? "Error"
/** The status a client sees for a provider's failure: the provider's own HTTP status, else 502. */
export const providerFailureStatus = (e: unknown): number =>
  tagOf(e) === "ProviderHttpError" ? (e as { status: number }).status : 502

/** POSTs a chat body to the provider's proxy route through the verifying `fetch`; `signal` cancels it. */
export const postChat = (
  fetch: (input: string, init: RequestInit) => Promise<Response>,
  serviceUrl: string,
  body: Uint8Array,
  signal: AbortSignal,
): Promise<Response> =>
  fetch(`${serviceUrl}/v1/proxy/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: new Uint8Array(body),
    signal,
  })

/**
 * POSTs a media request's body as the client sent it (JSON or multipart) to the provider's proxy route for a gateway
 * route (`/v1/images/edits` → `{url}/v1/proxy/images/edits`) through the verifying `fetch`, and reads the answer whole.
 */
export const postMedia = async (
  fetch: (input: string, init: RequestInit) => Promise<Response>,
  serviceUrl: string,
  route: string,
  contentType: string,
  body: Uint8Array,
  signal: AbortSignal,
): Promise<{ readonly response: Response; readonly bytes: Buffer }> => {
  const response = await fetch(`${serviceUrl}/v1/proxy${route.slice(3)}`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: new Uint8Array(body),
    signal,
  })
  return { response, bytes: Buffer.from(await response.arrayBuffer()) }
}

/** Aborted when the client leaves before the response finished: the upstream request is cancelled with it. */
export const abortOnClientClose = (res: ServerResponse, who: string): AbortController => {
  const gone = new AbortController()
  res.on("close", () => {
    if (!res.writableFinished) gone.abort(new Error(`the ${who} client disconnected`))
  })
  return gone
}

export const failsOver = (e: unknown) => {
  const tag = tagOf(e)
  if (tag === "ProviderHttpError") {
    const status = (e as { status: number }).status
    return status >= 500 || status === 429 || status === 401 || status === 403
  }
  return FAILOVER_TAGS.has(tag)
}

/** Cools `provider` down, its last error being `e`'s tag and message. */
export const coolDown = (router: Router, provider: string, e: unknown) =>
  router.markDown(provider, Date.now(), `${tagOf(e)}: ${describeCause(e)}`)

/** Cools down a provider that billed more than was reserved for the request (it overshoots budgets). */
export const coolOverrun = (router: Router, provider: string, billed: bigint, reserved: bigint) =>
  router.markDown(provider, Date.now(), `BudgetOverrun: billed ${billed} > reserved ${reserved} neuron`)

/**
 * Notes `e` as a failed attempt at `provider` and says whether the next provider may be tried. The provider is cooled
 * down when its failure fails over, or whatever the failure with `always` (an answer that broke after it began).
 */
export const attemptFailed = (
  router: Router,
  provider: string,
  e: unknown,
  attempts: FailedAttempt[],
  always = false,
): boolean => {
  attempts.push({ provider, code: tagOf(e), message: describeCause(e) })
  const next = failsOver(e)
  if (next || always) coolDown(router, provider, e)
  return next
}

/** `{"error": {message, type, code, param: null, ...extra}}` as text (a reply body or an SSE `data:` event). */
export const errorBody = (message: string, type: string, code: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify(jsonErrorBody({ message, type, code, extra }))
