/**
 * The provider's quote JSON (inference-protocol.md §10) and the checks that only need the JSON: which signer the
 * report_data names, whether the compose hash in the event log matches `tcb_info.app_compose`, and the RTMR3 replay of
 * the dstack runtime events (which binds the event log to a hardware quote). Hashing uses WebCrypto (Node ≥ 20 and
 * browsers), so this module has no Node dependency.
 */
import { quoteJsonField } from "@0g-compute/crypto"
import { Effect } from "effect"
import type { QuoteBody } from "../schemas.js"

export interface EventLogEntry {
  readonly imr: number | undefined
  readonly eventType: number | undefined
  readonly digest: string | undefined
  readonly event: string | undefined
  readonly eventPayload: string | undefined
}

export interface ParsedQuote {
  /** The quote declares itself a devnet quote (`"devnet": true`): never hardware. */
  readonly devnet: boolean
  /** The broker's mock layout (`intel_quote: "mock_intel_quote"`). */
  readonly mock: boolean
  /** report_data bytes from the JSON (base64, or hex). */
  readonly reportData: Uint8Array | undefined
  /** Raw TDX quote bytes (hex `quote` / `intel_quote`), when it is real hex. */
  readonly quoteBytes: Uint8Array | undefined
  readonly eventLog: ReadonlyArray<EventLogEntry>
  readonly appCompose: string | undefined
  readonly hasGpuEvidence: boolean
}

const fromHex = (s: string): Uint8Array | undefined => {
  const h = s.startsWith("0x") ? s.slice(2) : s
  if (h.length === 0 || h.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(h)) return undefined
  const out = new Uint8Array(h.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(2 * i, 2 * i + 2), 16)
  return out
}

const fromBase64 = (s: string): Uint8Array | undefined => {
  try {
    const bin = atob(s)
    return Uint8Array.from(bin, (c) => c.charCodeAt(0))
  } catch {
    return undefined
  }
}

export const toHexString = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")

const asRecord = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : undefined

const num = (u: unknown) => (typeof u === "number" && Number.isInteger(u) ? u : undefined)
const str = (u: unknown) => (typeof u === "string" ? u : undefined)

export const parseQuoteBody = (body: QuoteBody): ParsedQuote => {
  const rawReport = body.report_data
  const reportData =
    rawReport === undefined
      ? undefined
      : /^(0x)?[0-9a-fA-F]{128}$/.test(rawReport)
        ? fromHex(rawReport)
        : fromBase64(rawReport)
  const quoteText = body.quote ?? body.intel_quote
  const mock = body.intel_quote === "mock_intel_quote"
  const quoteBytes = quoteText === undefined ? undefined : fromHex(quoteText)
  const events = quoteJsonField(body.event_log)
  const eventLog: EventLogEntry[] = Array.isArray(events)
    ? events.map((e) => {
        const r = asRecord(e) ?? {}
        return {
          imr: num(r.imr),
          eventType: num(r.event_type),
          digest: str(r.digest),
          event: str(r.event),
          eventPayload: str(r.event_payload),
        }
      })
    : []
  const info = asRecord(quoteJsonField(body.info))
  const tcb = asRecord(quoteJsonField(body.tcb_info ?? info?.tcb_info))
  return {
    devnet: body.devnet === true,
    mock,
    reportData,
    quoteBytes,
    eventLog,
    appCompose: str(tcb?.app_compose),
    hasGpuEvidence: asRecord(body.nvidia_payload) !== undefined,
  }
}

/** The address string report_data names: its ASCII bytes up to the zero padding (the legacy layout). */
export const signerInReportData = (reportData: Uint8Array): string | undefined => {
  let end = reportData.length
  while (end > 0 && reportData[end - 1] === 0) end--
  const text = String.fromCharCode(...reportData.subarray(0, end))
  return /^0x[0-9a-fA-F]{40}$/.test(text) ? text : undefined
}

const digest = (algorithm: "SHA-256" | "SHA-384", data: Uint8Array) =>
  Effect.promise(async () => new Uint8Array(await globalThis.crypto.subtle.digest(algorithm, data as BufferSource)))

export type JsonCheck = {
  readonly status: "pass" | "fail" | "skipped"
  readonly detail: string
  /** The compose hash the check proved (set only when it passed). */
  readonly hash?: string
}

/**
 * sha256(app_compose) must equal the payload of the `compose-hash` event. Every compose-hash event the log names must
 * agree. `hardware`: only an RTMR3 event (imr 3, which the replay recomputes from its payload) counts, since an entry
 * of another register is replayed against nothing, and a provider could name any compose there.
 */
export const checkComposeHash = (q: ParsedQuote, teeVerifier: string, hardware = false): Effect.Effect<JsonCheck> =>
  Effect.gen(function* () {
    if (teeVerifier !== "dstack") {
      return { status: "skipped", detail: `TEEVerifier ${teeVerifier} has no compose hash` } as const
    }
    if (q.appCompose === undefined) return { status: "fail", detail: "tcb_info.app_compose is missing" } as const
    const named = q.eventLog.filter((e) => e.event === "compose-hash")
    const payloads = new Set(named.flatMap((e) => (e.eventPayload === undefined ? [] : [e.eventPayload.toLowerCase()])))
    if (payloads.size > 1)
      return {
        status: "fail",
        detail: `the event log names ${payloads.size} different compose hashes: ${[...payloads].join(", ")}`,
      } as const
    const event = hardware ? named.find((e) => e.imr === 3) : named[0]
    if (hardware && event === undefined && named.length > 0)
      return {
        status: "fail",
        detail: "the compose-hash event is not an RTMR3 event: the quote does not prove it",
      } as const
    if (event?.eventPayload === undefined)
      return { status: "fail", detail: "no compose-hash event in the event log" } as const
    const actual = toHexString(yield* digest("SHA-256", new TextEncoder().encode(q.appCompose)))
    return actual === event.eventPayload.toLowerCase()
      ? ({ status: "pass", detail: `sha256(app_compose) = ${actual}`, hash: actual } as const)
      : ({ status: "fail", detail: `sha256(app_compose) = ${actual}, event log says ${event.eventPayload}` } as const)
  })

const DSTACK_RUNTIME_EVENT_TYPE = 0x08000001

/**
 * Replays RTMR3 from the runtime events (imr 3): each event's digest is recomputed as
 * sha384(u32le(event_type) ‖ ":" ‖ event ‖ ":" ‖ payload) and folded as rtmr = sha384(rtmr ‖ digest).
 * Returns the replayed value, or a failure when an event's digest does not match its content.
 */
export const replayRtmr3 = (
  events: ReadonlyArray<EventLogEntry>,
): Effect.Effect<{ readonly rtmr3: string; readonly events: number } | { readonly error: string }> =>
  Effect.gen(function* () {
    let mr: Uint8Array = new Uint8Array(48)
    let count = 0
    const enc = new TextEncoder()
    for (const e of events) {
      if (e.imr !== 3) continue
      count++
      let d = e.digest === undefined ? undefined : fromHex(e.digest)
      if (e.event !== undefined && e.eventPayload !== undefined) {
        const type = new Uint8Array(4)
        new DataView(type.buffer).setUint32(0, e.eventType ?? DSTACK_RUNTIME_EVENT_TYPE, true)
        const payload = e.eventPayload === "" ? new Uint8Array() : fromHex(e.eventPayload)
        if (payload === undefined) return { error: `event ${e.event}: payload is not hex` }
        const name = enc.encode(e.event)
        const colon = enc.encode(":")
        const pre = new Uint8Array(type.length + 1 + name.length + 1 + payload.length)
        pre.set(type, 0)
        pre.set(colon, 4)
        pre.set(name, 5)
        pre.set(colon, 5 + name.length)
        pre.set(payload, 6 + name.length)
        const computed = yield* digest("SHA-384", pre)
        if (d !== undefined && toHexString(d) !== toHexString(computed)) {
          return { error: `event ${e.event}: digest does not match its content` }
        }
        d = computed
      }
      if (d === undefined) return { error: `event #${count} of RTMR3 has no digest` }
      const padded = new Uint8Array(48)
      padded.set(d.subarray(0, 48))
      const chain = new Uint8Array(96)
      chain.set(mr, 0)
      chain.set(padded, 48)
      mr = yield* digest("SHA-384", chain)
    }
    return { rtmr3: toHexString(mr), events: count }
  })
