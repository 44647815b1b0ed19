/**
 * Hostile provider modes: answers a careful client must bound, each served after the request was authenticated and
 * admitted (a real provider misbehaving, not a stranger). Nothing is billed or signed by these modes. Every response
 * ends only when the client closes the connection (or, for the huge body, after 400 MiB), and each close is recorded,
 * so tests can observe that a client's cancellation reached the provider.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { corsHeaders } from "./http.js"

export type HostileMode =
  /** Never answer: no status line, no headers. */
  | "stallBeforeHeaders"
  /** 200 and headers at once, then no body byte ever. */
  | "stallAfterHeaders"
  /** Chats are answered and signed normally; the signature route sends `{` and stalls. */
  | "stallSignatureBody"
  /** A 400 MiB JSON-looking body without `content-length`, streamed lazily from one reused chunk. */
  | "hugeBody"
  /** An SSE stream of content events that never ends. */
  | "endlessStream"

/** One hostile response and how it ended. */
export interface HostileClose {
  readonly mode: HostileMode
  readonly path: string
  /** Body bytes written before the end. */
  readonly bytesSent: number
  /** The client closed the connection (rather than the emulator finishing the body). */
  readonly byClient: boolean
}

export const HUGE_BODY_BYTES = 400 * 1024 * 1024
const CHUNK = 64 * 1024

const hugeChunk = new Uint8Array(CHUNK).fill(0x20) // spaces: still "JSON-looking" after the opening brace
/** 32 content events per write: an endless stream at a realistic pace without a syscall per event. */
const endlessEvents = new TextEncoder().encode(
  `data: ${JSON.stringify({ id: "chatcmpl-endless", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content: "more " } }] })}\n\n`.repeat(
    32,
  ),
)

/** Records hostile responses as they end; `nextClose` lets a test await the next one instead of sleeping. */
export class HostileObserver {
  private readonly ended: HostileClose[] = []
  private waiters: Array<(c: HostileClose) => void> = []
  private starts = 0
  private startWaiters: Array<() => void> = []

  /** Resolves once a hostile response has begun (the request arrived and passed admission). */
  nextStart(since = this.starts): Promise<void> {
    if (this.starts > since) return Promise.resolve()
    return new Promise((resolve) => this.startWaiters.push(resolve))
  }

  started(): void {
    this.starts++
    const waiters = this.startWaiters
    this.startWaiters = []
    for (const w of waiters) w()
  }

  /** Every hostile response that has ended so far. */
  get closes(): ReadonlyArray<HostileClose> {
    return this.ended
  }

  /** Resolves when hostile response number `since` (default: the next one) has ended. */
  nextClose(since = this.ended.length): Promise<HostileClose> {
    const done = this.ended[since]
    if (done !== undefined) return Promise.resolve(done)
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  record(c: HostileClose): void {
    this.ended.push(c)
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w(c)
  }
}

/** Writes `chunk` unless the socket is gone; resolves once it may be written again (backpressure). */
const write = (res: ServerResponse, chunk: Uint8Array): Promise<boolean> =>
  new Promise((resolve) => {
    if (res.destroyed || res.writableEnded) return resolve(false)
    if (res.write(chunk)) return setImmediate(() => resolve(!res.destroyed))
    const onDrain = () => {
      res.off("close", onClose)
      resolve(true)
    }
    const onClose = () => {
      res.off("drain", onDrain)
      resolve(false)
    }
    res.once("drain", onDrain)
    res.once("close", onClose)
  })

/** Serves `mode` on `res`; resolves when the response ended. */
export const serveHostile = async (
  observer: HostileObserver,
  mode: HostileMode,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> => {
  let bytesSent = 0
  observer.started()
  const closed = new Promise<void>((resolve) => res.once("close", () => resolve()))
  const finish = (byClient: boolean) => observer.record({ mode, path: req.url ?? "", bytesSent, byClient })
  const head = (contentType: string) => {
    res.writeHead(200, { ...corsHeaders(req), "content-type": contentType })
    res.flushHeaders()
  }
  switch (mode) {
    case "stallBeforeHeaders":
      break
    case "stallAfterHeaders":
      head("application/json")
      break
    case "stallSignatureBody":
      head("application/json")
      res.write("{")
      bytesSent = 1
      break
    case "hugeBody":
      head("application/json")
      while (bytesSent < HUGE_BODY_BYTES) {
        const ok = await write(res, bytesSent === 0 ? new TextEncoder().encode("{") : hugeChunk)
        if (!ok) return finish(true)
        bytesSent += bytesSent === 0 ? 1 : CHUNK
      }
      res.end()
      await closed
      return finish(false)
    case "endlessStream":
      head("text/event-stream")
      for (;;) {
        if (!(await write(res, endlessEvents))) return finish(true)
        bytesSent += endlessEvents.length
      }
  }
  await closed
  finish(true)
}
