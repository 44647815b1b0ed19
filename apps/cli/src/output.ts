/**
 * Terminal output: JSON (stable shapes, bigints as decimal strings) or human tables, and one-line errors.
 */
import { formatZG, isZgError } from "@0g-compute/core"
import { Effect } from "effect"

/** JSON with bigint → decimal string; used for every `--json` document. */
export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2)

export const zg = (neuron: bigint) => `${formatZG(neuron)} 0G`

export interface Printer {
  readonly json: boolean
  /** A step or result line for humans; suppressed in JSON mode. */
  readonly line: (text: string) => Effect.Effect<void>
  /** The command's result: a JSON document, or a human rendering. */
  readonly result: (data: unknown, human: () => string) => Effect.Effect<void>
}

export const makePrinter = (json: boolean, write: (s: string) => void = (s) => process.stdout.write(s)): Printer => ({
  json,
  line: (text) => (json ? Effect.void : Effect.sync(() => write(`${text}\n`))),
  result: (data, human) => Effect.sync(() => write(`${json ? toJson(data) : human()}\n`)),
})

/** Renders rows as an aligned plain-text table. */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const fmt = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd()
  return [fmt(headers), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n")
}

/** Key/value block for single records. */
export const keyValues = (pairs: ReadonlyArray<readonly [string, string]>): string => {
  const w = Math.max(...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n")
}

/** The error document printed with `--json`: the tag, the message and the error's own fields. */
export const errorDocument = (error: unknown) => {
  if (isZgError(error)) {
    const fields: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(error)) if (k !== "_tag" && k !== "cause" && k !== "stack") fields[k] = v
    return { error: { _tag: error._tag, message: error.message, ...fields } }
  }
  return { error: { _tag: "UnexpectedError", message: error instanceof Error ? error.message : String(error) } }
}

/** One line for humans: the typed error's message; a stack only with --verbose. */
export const errorText = (error: unknown, verbose: boolean) => {
  const msg = error instanceof Error ? error.message.split("\n")[0] : String(error)
  const text = `error: ${msg}`
  return verbose && error instanceof Error && error.stack ? `${text}\n${error.stack}` : text
}

/**
 * A one-line progress bar on stderr, redrawn in place when stderr is a terminal and silent otherwise (and in JSON
 * mode), so pipes and logs never fill with carriage returns.
 */
export const progressBar = (json: boolean, label: string) => {
  const tty = !json && process.stderr.isTTY === true
  let last = -1
  return {
    update: (done: number, total: number | undefined) => {
      if (!tty) return
      const pct = total ? Math.min(100, Math.floor((done / total) * 100)) : 0
      if (pct === last) return
      last = pct
      const width = 30
      const filled = Math.round((pct / 100) * width)
      process.stderr.write(`\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${pct}%`)
    },
    done: () => {
      if (tty && last >= 0) process.stderr.write("\n")
    },
  }
}
