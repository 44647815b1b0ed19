/**
 * SSE scanning cost of the verifying stream on a hostile shape: one 8 MiB event that never ends, arriving in 16 KiB
 * chunks (what a provider streaming a huge unterminated `data:` line looks like). A linear scanner handles it in time
 * proportional to the bytes; one that re-joins and re-scans its buffer per chunk takes time quadratic in them.
 * Also a well-formed stream of small events, the common case, for comparison.
 *
 * Run: `tsx inference/sse.ts` (from bench/). `SSE_SCANNER=<path>` benchmarks another implementation of the same
 * class too (e.g. an older copy of packages/inference/src/verify/sse.ts), in the same run, for a before/after comparison.
 */
import { SseScanner as Ours } from "@0g-compute/inference"

type Scanner = { push(chunk: Uint8Array): Uint8Array }
type ScannerClass = new () => Scanner

const MiB = 1024 * 1024
const CHUNK = 16 * 1024

const hostile = (size: number): Uint8Array => {
  const bytes = new Uint8Array(size).fill(0x78) // "x"
  bytes.set(new TextEncoder().encode("data: "), 0)
  return bytes
}

const wellFormed = (size: number): Uint8Array => {
  const event = `data: ${JSON.stringify({ id: "chatcmpl-1", choices: [{ index: 0, delta: { content: "word " } }] })}\n\n`
  return new TextEncoder().encode(event.repeat(Math.ceil(size / event.length)))
}

const time = (Scanner: ScannerClass, body: Uint8Array): number => {
  const s = new Scanner()
  const t0 = performance.now()
  for (let at = 0; at < body.length; at += CHUNK) s.push(body.subarray(at, at + CHUNK))
  return performance.now() - t0
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

const report = (label: string, Scanner: ScannerClass) => {
  console.log(`SSE scanner: ${label}, ${CHUNK / 1024} KiB chunks`)
  for (const size of [1 * MiB, 4 * MiB, 8 * MiB]) {
    const ms = time(Scanner, hostile(size))
    console.log(`  unterminated event ${size / MiB} MiB: ${ms.toFixed(1)} ms`)
  }
  const body = wellFormed(8 * MiB)
  const ms = median(Array.from({ length: 5 }, () => time(Scanner, body)))
  console.log(`  well-formed events 8 MiB (median of 5): ${ms.toFixed(1)} ms`)
}

const main = async () => {
  report("@0g-compute/inference", Ours)
  const path = process.env.SSE_SCANNER
  if (path !== undefined) report(path, (await import(path)).SseScanner)
}

void main()
