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
}

export class StorageRpc extends Context.Service<StorageRpc, StorageRpcShape>()("zg/storage/StorageRpc") {}

export interface FetchRpcOptions {
  /** Defaults to the global `fetch`. */
  readonly fetch?: typeof fetch
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number
}

const describe = (cause: unknown): string => {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause
    return inner instanceof Error ? `${cause.message}: ${inner.message}` : cause.message
  }
  return String(cause)
}

export const makeFetchRpc = (options: FetchRpcOptions = {}): StorageRpcShape => {
  let nextId = 1
  const timeoutMs = options.timeoutMs ?? 30_000
  return {
    call: (url, method, params, decode) =>
      Effect.tryPromise({
        try: async (signal) => {
          const doFetch = options.fetch ?? globalThis.fetch
          const body: Record<string, unknown> = { jsonrpc: "2.0", method, id: nextId++ }
          if (params !== undefined) body.params = params
          const res = await doFetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
            signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          })
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
            const data = e.data === undefined || e.data === null ? "" : `: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}`
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
      }),
  }
}

/** The default transport: global `fetch`, 30 s per request. */
export const StorageRpcLive: Layer.Layer<StorageRpc> = Layer.succeed(StorageRpc, StorageRpc.of(makeFetchRpc()))

export const storageRpcLayer = (options: FetchRpcOptions): Layer.Layer<StorageRpc> =>
  Layer.succeed(StorageRpc, StorageRpc.of(makeFetchRpc(options)))
