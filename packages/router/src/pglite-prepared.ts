/**
 * Named prepared statements for PGlite. Its `query()` makes six calls into the WASM backend per statement (parse,
 * describe, bind, describe, execute, sync) and parses and plans the text each time: ~0.5 ms of CPU, in the router's
 * own event loop, for every statement. Here a statement's text is parsed once under a name, and each call is ONE
 * protocol message (bind + describe + execute + sync): ~0.13 ms. Results are decoded with PGlite's own type parsers,
 * so rows are the same as `query()` gives.
 *
 * Parameters are sent as text; a call with a parameter that has no obvious text form (arrays, objects) takes
 * `query()` instead.
 */
import { joinBytes } from "@0g-compute/core"

/** The part of PGlite's protocol API used here. */
export interface PgliteProtocol {
  execProtocol(message: Uint8Array): Promise<{ messages: ReadonlyArray<BackendMessage> }>
  runExclusive<A>(f: () => Promise<A>): Promise<A>
  readonly parsers: Record<number, ((text: string, typeId: number) => unknown) | undefined>
}

interface BackendMessage {
  readonly name: string
  readonly fields?: ReadonlyArray<unknown>
}

const enc = new TextEncoder()
const int16 = (n: number) => new Uint8Array([(n >> 8) & 0xff, n & 0xff])
const int32 = (n: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setInt32(0, n)
  return b
}
const cstring = (s: string) => joinBytes([enc.encode(s), new Uint8Array([0])])
/** One frontend message: type byte, int32 length (itself included), body. */
const message = (type: string, body: Uint8Array) =>
  joinBytes([new Uint8Array([type.charCodeAt(0)]), int32(body.length + 4), body])

const SYNC = message("S", new Uint8Array(0))
const DESCRIBE_PORTAL = message("D", joinBytes([enc.encode("P"), cstring("")]))
const EXECUTE = message("E", joinBytes([cstring(""), int32(0)]))

/** A parameter's text form, or undefined when it has none we would trust. */
const textOf = (v: unknown): string | null | undefined => {
  if (v === null || v === undefined) return null
  if (typeof v === "string") return v
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : undefined
  if (typeof v === "bigint") return v.toString()
  if (typeof v === "boolean") return v ? "t" : "f"
  return undefined
}

const bind = (name: string, values: ReadonlyArray<string | null>) =>
  message(
    "B",
    joinBytes([
      cstring(""),
      cstring(name),
      int16(0), // every parameter in text format
      int16(values.length),
      ...values.map((v) => {
        if (v === null) return int32(-1)
        const bytes = enc.encode(v)
        return joinBytes([int32(bytes.length), bytes])
      }),
      int16(0), // every result column in text format
    ]),
  )

/** At most this many texts get a name (the router has about a dozen); others are parsed unnamed each time. */
const MAX_NAMED = 256

export const preparedQuery = (db: PgliteProtocol) => {
  const names = new Map<string, string>()
  return async (text: string, params: ReadonlyArray<unknown>): Promise<ReadonlyArray<Record<string, unknown>>> => {
    const values = params.map(textOf)
    if (values.some((v) => v === undefined)) throw new NotPreparable()
    const known = names.get(text)
    const name = known ?? (names.size < MAX_NAMED ? `zgr_${names.size}` : "")
    const parse = known === undefined ? [message("P", joinBytes([cstring(name), cstring(text), int16(0)]))] : []
    const { messages } = await db.runExclusive(() =>
      db.execProtocol(
        joinBytes([...parse, bind(name, values as ReadonlyArray<string | null>), DESCRIBE_PORTAL, EXECUTE, SYNC]),
      ),
    )
    // Named only once its Parse succeeded (a failed batch throws above).
    if (known === undefined && name !== "") names.set(text, name)
    const description = messages.find((m) => m.name === "rowDescription")?.fields as
      | ReadonlyArray<{ name: string; dataTypeID: number }>
      | undefined
    if (description === undefined) return []
    return messages
      .filter((m) => m.name === "dataRow")
      .map((m) => {
        const row: Record<string, unknown> = {}
        description.forEach((f, i) => {
          const raw = m.fields?.[i] as string | null | undefined
          const parse = db.parsers[f.dataTypeID]
          row[f.name] = raw === null || raw === undefined ? null : parse === undefined ? raw : parse(raw, f.dataTypeID)
        })
        return row
      })
  }
}

/** The parameters have no text form here: the caller uses PGlite's `query()`. */
export class NotPreparable extends Error {}
