/**
 * JSON-RPC 2.0 over HTTP POST for storage nodes and indexers, as an Effect service so tests and callers can swap the
 * transport. Logical errors come back as HTTP 200 with an `error` object; both that and transport failures become a
 * {@link NodeRpcError} carrying the node URL, the method and (for JSON-RPC errors) the code and verbatim message.
 */
import { Context, Effect, Layer } from "effect"
import { NodeRpcError } from "../errors.js"
import type { Decoder } from "./types.js"

export interface StorageRpcShape {
  /** Calls `method`; `params` undefined omits the field (zgs_getStatus, indexer_getShardedNodes …). */
  readonly call: <A>(
    url: string,
    method: string,
    params: ReadonlyArray<unknown> | undefined,
    decode: Decoder<A>,
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
  ) => Effect.Effect<A, NodeRpcError>
}

export class StorageRpc extends Context.Service<StorageRpc, StorageRpcShape>()("zg/storage/StorageRpc") {}

export interface FetchRpcOptions {
  /** Defaults to the global `fetch`. */
  readonly fetch?: typeof fetch
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number
  /**
   * Send pre-encoded bodies (uploads) as a stream instead of bytes: avoids a copy per request in Node. Browsers only
   * stream request bodies over HTTP/2, so the default is on in Node and off elsewhere.
   */
  readonly streamBodies?: boolean
}

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

export const makeFetchRpc = (options: FetchRpcOptions = {}): StorageRpcShape => {
  let nextId = 1
  const timeoutMs = options.timeoutMs ?? 30_000
  const streamBodies = options.streamBodies ?? isNode
  const send = <A>(
    url: string,
    method: string,
    body: (id: number) => string | Uint8Array<ArrayBuffer>,
    decode: Decoder<A>,
  ) =>
    Effect.tryPromise({
      try: async (signal) => {
        const doFetch = options.fetch ?? globalThis.fetch
        const payload = body(nextId++)
        const stream = streamBodies && typeof payload !== "string"
        const res = await doFetch(url, {
          method: "POST",
          headers: stream
            ? { "content-type": "application/json", "content-length": String(payload.length) }
            : { "content-type": "application/json" },
          // Node's fetch copies a byte body before sending it; a one-chunk stream avoids that copy.
          body: stream ? singleChunk(payload) : payload,
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          ...(stream ? { duplex: "half" } : {}),
        } as RequestInit)
        const text = await res.text()
        if (!res.ok) throw new NodeRpcError({ url, method, code: undefined, detail: `HTTP ${res.status}` })
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          throw new NodeRpcError({ url, method, code: undefined, detail: "reply is not JSON" })
        }
        const envelope = json as { error?: { code?: unknown; message?: unknown; data?: unknown }; result?: unknown }
        if (typeof envelope !== "object" || envelope === null) {
          throw new NodeRpcError({ url, method, code: undefined, detail: "reply is not a JSON-RPC object" })
        }
        if (envelope.error) {
          const e = envelope.error
          const message = typeof e.message === "string" ? e.message : "error"
          const data =
            e.data === undefined || e.data === null
              ? ""
              : `: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}`
          throw new NodeRpcError({
            url,
            method,
            code: typeof e.code === "number" ? e.code : undefined,
            detail: `${message}${data}`,
          })
        }
        const decoded = decode("result" in envelope ? envelope.result : undefined)
        if (decoded === undefined) {
          throw new NodeRpcError({ url, method, code: undefined, detail: "unexpected result shape" })
        }
        return decoded
      },
      catch: (cause) =>
        cause instanceof NodeRpcError
          ? cause
          : new NodeRpcError({ url, method, code: undefined, detail: describe(cause) }),
    })
  return {
    call: (url, method, params, decode) =>
      send(
        url,
        method,
        (id) =>
          JSON.stringify(
            params === undefined ? { jsonrpc: "2.0", method, id } : { jsonrpc: "2.0", method, params, id },
          ),
        decode,
      ),
    callEncoded: (url, method, encode, decode) => send(url, method, encode, decode),
  }
}

/** The default transport: global `fetch`, 30 s per request. */
export const StorageRpcLive: Layer.Layer<StorageRpc> = Layer.succeed(StorageRpc, StorageRpc.of(makeFetchRpc()))

export const storageRpcLayer = (options: FetchRpcOptions): Layer.Layer<StorageRpc> =>
  Layer.succeed(StorageRpc, StorageRpc.of(makeFetchRpc(options)))
