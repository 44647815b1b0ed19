/**
 * JSON-RPC 2.0 over HTTP POST for storage nodes and indexers, as an Effect service so tests and callers can swap the
 * transport. Logical errors come back as HTTP 200 with an `error` object; both that and transport failures become a
 * {@link NodeRpcError} carrying the node URL, the method and (for JSON-RPC errors) the code and verbatim message.
 * Nothing a node or indexer sends is unbounded: a first-byte deadline (connect + headers), an idle deadline between
 * body chunks, a total deadline, and a body cap (per call for segments, sized by what the file declares) — core's
 * provider exchange on Effect's `HttpClient` enforces them, as it does for provider calls.
 */
import {
  type ProviderLimitError,
  type ProviderLimits,
  providerExchange,
  readBoundedBytes,
  type TimeoutPhase,
} from "@0g-compute/core"
import { Context, Effect, Layer } from "effect"
import { HttpBody, HttpClientRequest } from "effect/http"
import { type NodeFailureKind, NodeRpcError } from "../errors.js"
import type { Decoder } from "./types.js"

/** Per-call overrides of the transport's limits. */
export interface CallLimits {
  /** Largest accepted response body in bytes (e.g. a segment's size as the file declares it). */
  readonly maxBytes?: number
}

export interface StorageRpcShape {
  /** Calls `method`; `params` undefined omits the field (zgs_getStatus, indexer_getShardedNodes …). */
  readonly call: <A>(
    url: string,
    method: string,
    params: ReadonlyArray<unknown> | undefined,
    decode: Decoder<A>,
    limits?: CallLimits,
  ) => Effect.Effect<A, NodeRpcError>
  /**
   * Sends a request body the caller serialized itself (large uploads, built without intermediate strings).
   * `encode` receives the JSON-RPC id to embed; the returned bytes must stay untouched until the effect completes.
   */
  readonly callEncoded: <A>(
    url: string,
    method: string,
    encode: (id: number) => Uint8Array<ArrayBuffer>,
    decode: Decoder<A>,
    limits?: CallLimits,
  ) => Effect.Effect<A, NodeRpcError>
}

export class StorageRpc extends Context.Service<StorageRpc, StorageRpcShape>()("zg/storage/StorageRpc") {
  /**
   * The HTTP transport: the `HttpClient` of the calling context, else fetch (`options.fetch`, default the global one);
   * `StorageRpc.layer()` allows 30 s per request, 15 s to the first byte, 4 MiB per reply.
   */
  static readonly layer = (options: FetchRpcOptions = {}): Layer.Layer<StorageRpc> =>
    Layer.succeed(StorageRpc, StorageRpc.of(makeFetchRpc(options)))
}

export interface FetchRpcOptions {
  /** The `fetch` behind the default client (global `fetch` unless set); unused when the context has an `HttpClient`. */
  readonly fetch?: typeof fetch
  /** Whole request, from connecting to the last response byte (default 30 s). */
  readonly timeoutMs?: number
  /**
   * Connecting plus waiting for the response headers (default 15 s, at most `timeoutMs`). Uploads, whose request
   * body takes time to send, get `timeoutMs` instead.
   */
  readonly firstByteTimeoutMs?: number
  /** Longest pause between two chunks of a response body (default 15 s). */
  readonly idleTimeoutMs?: number
  /** Largest response body in bytes unless a call sets its own (default 4 MiB). */
  readonly maxResponseBytes?: number
  /**
   * Send pre-encoded bodies (uploads) as a stream instead of bytes: avoids a copy per request in Node. Browsers only
   * stream request bodies over HTTP/2, so the default is on in Node and off elsewhere.
   */
  readonly streamBodies?: boolean
}

export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024

const isNode = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined

const describe = (cause: unknown): string => {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause
    return inner instanceof Error ? `${cause.message}: ${inner.message}` : cause.message
  }
  return String(cause)
}

const singleChunk = (bytes: Uint8Array<ArrayBuffer>): ReadableStream<Uint8Array<ArrayBuffer>> =>
  new ReadableStream({
    pull: (controller) => {
      controller.enqueue(bytes)
      controller.close()
    },
  })

const positive = (v: number | undefined, fallback: number) =>
  v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback

const PHASE_DETAIL: Record<TimeoutPhase, (ms: number) => string> = {
  connect: (ms) => `no reply within ${ms} ms`,
  firstByte: (ms) => `reply stalled for ${ms} ms`,
  idle: (ms) => `reply stalled for ${ms} ms`,
  total: (ms) => `no complete reply within ${ms} ms`,
}

const decoder = new TextDecoder()

/**
 * The transport on core's provider exchange (Effect's `HttpClient`: the context's client, else fetch): the same
 * phase deadlines, body ceiling and cancellation as provider calls, reported as {@link NodeRpcError}.
 */
export const makeFetchRpc = (options: FetchRpcOptions = {}): StorageRpcShape => {
  let nextId = 1
  const timeoutMs = positive(options.timeoutMs, 30_000)
  const firstByteMs = Math.min(timeoutMs, positive(options.firstByteTimeoutMs, 15_000))
  const idleMs = positive(options.idleTimeoutMs, 15_000)
  const defaultMax = positive(options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES)
  const streamBodies = options.streamBodies ?? isNode
  const send = <A>(
    url: string,
    method: string,
    body: (id: number) => string | Uint8Array<ArrayBuffer>,
    decode: Decoder<A>,
    callLimits: CallLimits | undefined,
  ): Effect.Effect<A, NodeRpcError> =>
    Effect.gen(function* () {
      const fail = (kind: NodeFailureKind, detail: string, limit?: number) =>
        new NodeRpcError({ url, method, code: undefined, detail, kind, ...(limit === undefined ? {} : { limit }) })
      const unreachable = (cause: unknown) => (cause instanceof NodeRpcError ? cause : fail("network", describe(cause)))
      const asNodeError = (e: NodeRpcError | ProviderLimitError): NodeRpcError =>
        e._tag === "NodeRpcError"
          ? e
          : e._tag === "ProviderTimeout"
            ? fail("timeout", PHASE_DETAIL[e.phase](e.ms), e.ms)
            : fail("too-large", `reply larger than ${e.limit} bytes`, e.limit)
      const payload = body(nextId++)
      const maxBytes = positive(callLimits?.maxBytes, defaultMax)
      // Uploads, whose request body takes time to send, get the whole deadline for the response headers.
      const headMs = typeof payload === "string" ? firstByteMs : timeoutMs
      const limits: ProviderLimits = { connectMs: headMs, firstByteMs: idleMs, idleMs, totalMs: timeoutMs, maxBytes }
      const post = HttpClientRequest.post(url)
      const request =
        typeof payload === "string"
          ? HttpClientRequest.bodyText(post, payload, "application/json")
          : streamBodies
            ? // Node's fetch copies a byte body before sending it; a one-chunk stream avoids that copy.
              HttpClientRequest.setBody(
                post,
                HttpBody.raw(singleChunk(payload), { contentType: "application/json", contentLength: payload.length }),
              )
            : HttpClientRequest.bodyUint8Array(post, payload, "application/json")
      const reply = yield* Effect.mapError(
        providerExchange(request, { provider: url, url }, limits, { fetch: options.fetch, unreachable }),
        asNodeError,
      )
      if (!reply.response.ok) {
        reply.cancel()
        return yield* fail("http", `HTTP ${reply.response.status}`)
      }
      const bytes = yield* Effect.mapError(readBoundedBytes(reply, unreachable), asNodeError)
      let json: unknown
      try {
        json = JSON.parse(decoder.decode(bytes))
      } catch {
        return yield* fail("malformed", "reply is not JSON")
      }
      const envelope = json as { error?: { code?: unknown; message?: unknown; data?: unknown }; result?: unknown }
      if (typeof envelope !== "object" || envelope === null) {
        return yield* fail("malformed", "reply is not a JSON-RPC object")
      }
      if (envelope.error) {
        const e = envelope.error
        const message = typeof e.message === "string" ? e.message : "error"
        const data =
          e.data === undefined || e.data === null
            ? ""
            : `: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}`
        return yield* new NodeRpcError({
          url,
          method,
          code: typeof e.code === "number" ? e.code : undefined,
          detail: `${message}${data}`.slice(0, 500),
          kind: "rpc",
        })
      }
      const decoded = decode("result" in envelope ? envelope.result : undefined)
      if (decoded === undefined) return yield* fail("malformed", "unexpected result shape")
      return decoded
    })
  return {
    call: (url, method, params, decode, limits) =>
      send(
        url,
        method,
        (id) =>
          JSON.stringify(
            params === undefined ? { jsonrpc: "2.0", method, id } : { jsonrpc: "2.0", method, params, id },
          ),
        decode,
        limits,
      ),
    callEncoded: (url, method, encode, decode, limits) => send(url, method, encode, decode, limits),
  }
}
