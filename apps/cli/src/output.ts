/**
 * Terminal output: JSON (stable shapes, bigints as decimal strings) or human tables, and one-line errors.
 */
import { formatZG } from "@0g-compute/core/light"
import { Effect } from "effect"
import { CliIO } from "./io.js"
import { isTerminalControl, neutralise, redact } from "./sanitize.js"

/**
 * JSON with bigint → decimal string; used for every `--json` document. DEL and C1 controls (which JSON leaves raw) are
 * escaped too, so a provider's string cannot drive the terminal even when the document is printed.
 */
export const toJson = (value: unknown): string => {
  const text = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2)
  let out = ""
  for (const ch of text) {
    const code = ch.charCodeAt(0)
    out += code >= 0x20 && isTerminalControl(code) ? `\\u${code.toString(16).padStart(4, "0")}` : ch
  }
  return out
}

export const zg = (neuron: bigint) => `${formatZG(neuron)} 0G`

export interface Printer {
  readonly json: boolean
  /** A step or result line for humans; suppressed in JSON mode. */
  readonly line: (text: string) => Effect.Effect<void>
  /** The command's result: a JSON document, or a human rendering. */
  readonly result: (data: unknown, human: () => string) => Effect.Effect<void>
}

/** What reaches the terminal: RPC credentials redacted, control characters (from providers, files) escaped. */
export const forTerminal = (text: string) => neutralise(redact(text), true)

/** Writes to the invocation's stdout (see io.ts). */
export const makePrinter = (json: boolean): Printer => ({
  json,
  line: (text) => (json ? Effect.void : CliIO.useSync((io) => io.stdout(`${forTerminal(text)}\n`))),
  result: (data, human) => CliIO.useSync((io) => io.stdout(`${redact(json ? toJson(data) : forTerminal(human()))}\n`)),
})

/** Runs `effect` and prints its value as the command's result: the JSON document, or `human(value)`. */
export const printResult = <A, E, R>(json: boolean, effect: Effect.Effect<A, E, R>, human: (a: A) => string) =>
  Effect.flatMap(effect, (a) => makePrinter(json).result(a, () => human(a)))

/** `Printer.line` as a plain function, for progress callbacks that run outside an effect. */
export const lineWriter = (json: boolean) =>
  CliIO.useSync((io) => (text: string) => {
    if (!json) io.stdout(`${forTerminal(text)}\n`)
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

/**
 * A one-line progress bar on stderr, redrawn in place when stderr is a terminal and silent otherwise (and in JSON
 * mode), so pipes and logs never fill with carriage returns.
 */
export const progressBar = (json: boolean, label: string) =>
  CliIO.useSync((io) => {
    const tty = !json && io.stderrIsTTY
    let last = -1
    return {
      update: (done: number, total: number | undefined) => {
        if (!tty) return
        const pct = total ? Math.min(100, Math.floor((done / total) * 100)) : 0
        if (pct === last) return
        last = pct
        const width = 30
        const filled = Math.round((pct / 100) * width)
        io.stderr(`\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${pct}%`)
      },
      done: () => {
        if (tty && last >= 0) io.stderr("\n")
      },
    }
  })
