/**
 * JSON-RPC 2.0 over HTTP POST for storage nodes and indexers, as an Effect service so tests and callers can swap the
 * transport. Logical errors come back as HTTP 200 with an `error` object; both that and transport failures become a
 * {@link NodeRpcError} carrying the node URL, the method and (for JSON-RPC errors) the code and verbatim message.
 * Nothing a node or indexer sends is unbounded: a first-byte deadline (connect + headers), an idle deadline between
 * body chunks, a total deadline, and a body cap (per call for segments, sized by what the file declares).
 */
import { Context, Effect, Layer } from "effect"
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
  /** The fetch transport; `StorageRpc.layer()` is global `fetch`, 30 s per request, 15 s to the first byte, 4 MiB per reply. */
  static readonly layer = (options: FetchRpcOptions = {}): Layer.Layer<StorageRpc> =>
    Layer.succeed(StorageRpc, StorageRpc.of(makeFetchRpc(options)))
}

export interface FetchRpcOptions {
  /** Defaults to the global `fetch`. */
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

/** Reads a body chunk by chunk, failing once it exceeds `max` bytes; `onChunk` re-arms the idle deadline. */
const readCapped = async (res: Response, max: number, tooLarge: () => Error, onChunk: () => void) => {
  const declared = Number(res.headers.get("content-length") ?? Number.NaN)
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined)
    throw tooLarge()
  }
  if (!res.body) return ""
  const reader = res.body.getReader()
  const parts: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    onChunk()
    size += value.length
    if (size > max) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge()
    }
    parts.push(value)
  }
  const all = new Uint8Array(size)
  let at = 0
  for (const p of parts) {
    all.set(p, at)
    at += p.length
  }
  return new TextDecoder().decode(all)
}

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
    limits: CallLimits | undefined,
  ) =>
    Effect.tryPromise({
      try: async (signal) => {
        const fail = (kind: NodeFailureKind, detail: string, limit?: number) =>
          new NodeRpcError({ url, method, code: undefined, detail, kind, ...(limit === undefined ? {} : { limit }) })
        const doFetch = options.fetch ?? globalThis.fetch
        const payload = body(nextId++)
        const stream = streamBodies && typeof payload !== "string"
        const maxBytes = positive(limits?.maxBytes, defaultMax)
        // One controller for every deadline; `stopped` remembers which one fired so the abort is reported as such.
        const ac = new AbortController()
        let stopped: NodeRpcError | undefined
        const stop = (e: NodeRpcError) => {
          stopped ??= e
          ac.abort()
        }
        const onCaller = () => ac.abort()
        signal.addEventListener("abort", onCaller, { once: true })
        const total = setTimeout(
          () => stop(fail("timeout", `no complete reply within ${timeoutMs} ms`, timeoutMs)),
          timeoutMs,
        )
        const headMs = typeof payload === "string" ? firstByteMs : timeoutMs
        let idle = setTimeout(() => stop(fail("timeout", `no reply within ${headMs} ms`, headMs)), headMs)
        const rearm = () => {
          clearTimeout(idle)
          idle = setTimeout(() => stop(fail("timeout", `reply stalled for ${idleMs} ms`, idleMs)), idleMs)
        }
        let text: string
        try {
          const res = await doFetch(url, {
            method: "POST",
            headers: stream
              ? { "content-type": "application/json", "content-length": String(payload.length) }
              : { "content-type": "application/json" },
            // Node's fetch copies a byte body before sending it; a one-chunk stream avoids that copy.
            body: stream ? singleChunk(payload) : payload,
            signal: ac.signal,
            ...(stream ? { duplex: "half" } : {}),
          } as RequestInit)
          rearm()
          if (!res.ok) {
            await res.body?.cancel().catch(() => undefined)
            throw fail("http", `HTTP ${res.status}`)
          }
          text = await readCapped(
            res,
            maxBytes,
            () => fail("too-large", `reply larger than ${maxBytes} bytes`, maxBytes),
            rearm,
          )
        } catch (cause) {
          if (stopped) throw stopped
          if (cause instanceof NodeRpcError) throw cause
          throw fail("network", describe(cause))
        } finally {
          clearTimeout(total)
          clearTimeout(idle)
          signal.removeEventListener("abort", onCaller)
        }
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          throw fail("malformed", "reply is not JSON")
        }
        const envelope = json as { error?: { code?: unknown; message?: unknown; data?: unknown }; result?: unknown }
        if (typeof envelope !== "object" || envelope === null) {
          throw fail("malformed", "reply is not a JSON-RPC object")
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
            detail: `${message}${data}`.slice(0, 500),
            kind: "rpc",
          })
        }
        const decoded = decode("result" in envelope ? envelope.result : undefined)
        if (decoded === undefined) throw fail("malformed", "unexpected result shape")
        return decoded
      },
      catch: (cause) =>
        cause instanceof NodeRpcError
          ? cause
          : new NodeRpcError({ url, method, code: undefined, detail: describe(cause), kind: "network" }),
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
