/**
 * A hostile-RPC harness: an HTTP JSON-RPC proxy on 127.0.0.1 in front of a node (anvil), which injects one fault at a
 * time into the calls it matches — answer lost after forwarding, an error after forwarding ("nonce too low"), a delay,
 * or a 5xx — switchable while it runs, with counters. Tests use it to prove that what reaches the chain is exactly
 * what the client believes reached it. Batches (ethers sends them) are matched per call inside the batch.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { httpFailureOf, readBody, routeListener, sendJson } from "@0g-compute/core/node"
import { closeServer, listenLoopback } from "../loopback.js"

export type RpcFault =
  /** Forward, then destroy the client's socket before any answer ("socket hang up", no hash). */
  | { readonly kind: "drop-response" }
  /** Forward, then answer the matched calls with this JSON-RPC error instead of the node's answer. */
  | { readonly kind: "error-after-forwarding"; readonly message: string; readonly code?: number }
  /** `error-after-forwarding` with the node message of the double-spend report. */
  | { readonly kind: "nonce-too-low-after-forwarding" }
  /** Hold the request this long, then forward it normally. */
  | { readonly kind: "delay"; readonly ms: number }
  /**
   * Answer the matched calls with this JSON-RPC error without forwarding them yet: the node does not see the
   * transaction until the next eth_sendRawTransaction reaches the proxy, which first forwards every held request
   * (another RPC backend took it and will mine it, unseen by the node we ask).
   */
  | { readonly kind: "error-and-hold"; readonly message: string; readonly code?: number }
  /** Answer with an HTTP status (5xx); `forward: true` sends the request to the node first. */
  | { readonly kind: "http-status"; readonly status: number; readonly forward?: boolean }
  /** Forward, then answer the matched calls with this result instead of the node's (a lagging or lying backend). */
  | { readonly kind: "answer"; readonly result: unknown }

export interface FaultRule {
  readonly fault: RpcFault
  /** JSON-RPC methods to hit. Default: eth_sendRawTransaction. */
  readonly methods?: ReadonlyArray<string>
  /** How many matching requests to hit before the rule switches itself off. Default: all. */
  readonly times?: number
}

export interface RpcProxyCounters {
  /** HTTP requests received. */
  readonly requests: number
  /** HTTP requests forwarded to the node. */
  readonly forwarded: number
  /** HTTP requests a fault was injected into. */
  readonly faults: number
  /** JSON-RPC calls received, per method (batches counted per call). */
  readonly calls: Readonly<Record<string, number>>
}

export interface RpcFaultProxy {
  readonly url: string
  /**
   * Switches to this rule, these rules (a request meets the first one that matches it and has hits left), or none;
   * applies to the next request.
   */
  readonly setFault: (rule: FaultRule | ReadonlyArray<FaultRule> | undefined) => void
  readonly counters: () => RpcProxyCounters
  /** Calls of `method` received so far. */
  readonly calls: (method: string) => number
  /** The signed transactions received in eth_sendRawTransaction calls, in order. */
  readonly rawTransactions: () => ReadonlyArray<string>
  readonly close: () => Promise<void>
}

export interface RpcFaultProxyOptions {
  /** The node's URL (http). */
  readonly upstream: string
  /** Default 0 (a free port). Always bound to 127.0.0.1. */
  readonly port?: number
  readonly fault?: FaultRule
}

interface RpcCall {
  readonly id?: unknown
  readonly method?: unknown
  readonly params?: unknown
}

/** The largest JSON-RPC request (or batch) the proxy takes; past it a 413 and the connection closes. */
const MAX_BODY = 64 * 1024 * 1024

/** How long a released transaction may take to be mined before the proxy forwards the send that released it. */
const LANDING_MS = 15_000
const JSON_HEADERS = { "content-type": "application/json" }

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Starts the proxy; `close()` stops it. */
export const startRpcFaultProxy = async (options: RpcFaultProxyOptions): Promise<RpcFaultProxy> => {
  let rules: Array<{ readonly rule: FaultRule; left: number }> = []
  const setFault = (next: FaultRule | ReadonlyArray<FaultRule> | undefined) => {
    const list: ReadonlyArray<FaultRule> = next === undefined ? [] : "fault" in next ? [next] : next
    rules = list.map((rule) => ({ rule, left: rule.times ?? Number.POSITIVE_INFINITY }))
  }
  setFault(options.fault)
  const counts = { requests: 0, forwarded: 0, faults: 0 }
  const calls: Record<string, number> = {}
  const raws: string[] = []
  let held: string[] = []

  const forward = async (body: string) => {
    counts.forwarded++
    const res = await fetch(options.upstream, { method: "POST", headers: JSON_HEADERS, body })
    return { status: res.status, text: await res.text() }
  }

  /**
   * Waits until the node mined the transactions a forwarded send returned (bounded). Anvil answers a send before its
   * automine block exists, so without this the next send could meet a held transaction still pending in the pool
   * instead of mined, as a second backend would have it.
   */
  const landed = async (out: { text: string }) => {
    const answers = [JSON.parse(out.text) as unknown].flat() as Array<{ result?: unknown }>
    const hashes = answers.map((a) => a.result).filter((h): h is string => typeof h === "string")
    const deadline = Date.now() + LANDING_MS
    for (const hash of hashes) {
      const call = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getTransactionReceipt", params: [hash] })
      while (Date.now() < deadline) {
        const res = await fetch(options.upstream, { method: "POST", headers: JSON_HEADERS, body: call })
        if (((await res.json()) as { result?: unknown }).result != null) break
        await sleep(10)
      }
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    counts.requests++
    const body = (await readBody(req, MAX_BODY)).toString("utf8")
    let parsed: RpcCall | RpcCall[] | undefined
    try {
      parsed = JSON.parse(body) as RpcCall | RpcCall[]
    } catch {
      parsed = undefined
    }
    const list = parsed === undefined ? [] : Array.isArray(parsed) ? parsed : [parsed]
    for (const c of list) {
      const m = typeof c.method === "string" ? c.method : "?"
      calls[m] = (calls[m] ?? 0) + 1
      if (m === "eth_sendRawTransaction" && Array.isArray(c.params) && typeof c.params[0] === "string") {
        raws.push(c.params[0])
      }
    }
    const hits = (rule: FaultRule) => (c: RpcCall) =>
      typeof c.method === "string" && (rule.methods ?? ["eth_sendRawTransaction"]).includes(c.method)
    const matched = rules.find((r) => r.left > 0 && list.some(hits(r.rule)))
    const active = matched?.rule.fault
    const hit = matched === undefined ? () => false : hits(matched.rule)
    if (
      active?.kind !== "error-and-hold" &&
      held.length > 0 &&
      list.some((c) => c.method === "eth_sendRawTransaction")
    ) {
      const release = held
      held = []
      for (const b of release) await landed(await forward(b))
    }
    if (matched !== undefined) {
      counts.faults++
      matched.left--
    }

    const reply = (status: number, text: string) => sendJson(res, status, text)
    if (active === undefined) {
      const out = await forward(body)
      return reply(out.status, out.text)
    }
    switch (active.kind) {
      case "delay": {
        await sleep(active.ms)
        const out = await forward(body)
        return reply(out.status, out.text)
      }
      case "http-status": {
        if (active.forward === true) await forward(body)
        return reply(active.status, JSON.stringify({ error: "injected fault" }))
      }
      case "drop-response": {
        await forward(body)
        req.socket.destroy()
        return
      }
      case "error-and-hold": {
        held.push(body)
        const error = { code: active.code ?? -32000, message: active.message }
        const answer = (c: RpcCall) => ({ jsonrpc: "2.0", id: c.id, error })
        return reply(200, JSON.stringify(Array.isArray(parsed) ? list.map(answer) : answer(list[0] as RpcCall)))
      }
      case "answer":
      case "error-after-forwarding":
      case "nonce-too-low-after-forwarding": {
        const out = await forward(body)
        const instead =
          active.kind === "answer"
            ? { result: active.result }
            : {
                error:
                  active.kind === "error-after-forwarding"
                    ? { code: active.code ?? -32000, message: active.message }
                    : { code: -32000, message: "nonce too low" },
              }
        const answers = JSON.parse(out.text) as Array<{ id?: unknown }> | { id?: unknown }
        const patch = (a: { id?: unknown }) => {
          const call = list.find((c) => c.id === a.id)
          return call !== undefined && hit(call) ? { jsonrpc: "2.0", id: a.id, ...instead } : a
        }
        return reply(200, JSON.stringify(Array.isArray(answers) ? answers.map(patch) : patch(answers)))
      }
    }
  }

  // Past the body ceiling a 413; the upstream failing, an empty 502.
  const server = createServer(
    routeListener(handle, (e, _req, res) => {
      const failure = httpFailureOf(e)
      if (failure !== undefined) return sendJson(res, failure.status, { error: failure.message })
      res.writeHead(502)
      res.end()
    }),
  )
  const port = await listenLoopback(server, options.port)

  return {
    url: `http://127.0.0.1:${port}`,
    setFault,
    counters: () => ({ ...counts, calls: { ...calls } }),
    calls: (method) => calls[method] ?? 0,
    rawTransactions: () => [...raws],
    close: () => closeServer(server),
  }
}
