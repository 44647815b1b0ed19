/**
 * Decrypting a large encrypted model (default 1 GiB, `FT_BENCH_MIB` to change), produced by the emulator's encryptor
 * (crypto's `encryptModelFile`, 64 MiB chunks): the single decryptor, crypto's `decryptModelFile` that `decryptModel`
 * runs (chunks on two worker threads, Node decipher), against the official SDK's `aesGCMDecryptToFile`, each in its
 * own process, two interleaved rounds, best run kept. Each child first warms the page pool (see decrypt-child.ts;
 * `FT_BENCH_COLD=1` to measure without).
 * Targets: ≥ 1 GB/s of plaintext and peak RSS < 200 MB.
 */
import { execFile } from "node:child_process"
import { createDecipheriv } from "node:crypto"
import { existsSync } from "node:fs"
import { open, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { encryptModelFile } from "@0g-compute/crypto/node"
import { Effect, Redacted } from "effect"
import { Wallet } from "ethers"

const MiB = 1024 * 1024
const sizeMiB = Number(process.env.FT_BENCH_MIB ?? 1024)
const here = dirname(fileURLToPath(import.meta.url))
// The official SDK is a devDependency of this bench package.
const sdkFrom = join(here, "..")
const tee = new Wallet("0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a") // devnet account #4
const keyHex = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString("hex")

const writePattern = async (path: string, size: number) => {
  const fh = await open(path, "w")
  const block = new Uint8Array(64 * MiB).map((_, i) => i % 251)
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(block.length, size - done)
      // Keep "byte i = i mod 251" across blocks: 64 MiB is not a multiple of 251, so rotate the pattern.
      const shift = done % 251
      const view = shift === 0 ? block : block.map((_, i) => (i + shift) % 251)
      await fh.write(view, 0, n, done)
      done += n
    }
  } finally {
    await fh.close()
  }
}

const run = async (impl: string, input: string, output: string) => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", join(here, "decrypt-child.ts"), impl, input, output, keyHex, tee.address],
    {
      cwd: here,
      env: { ...process.env, ZG_SDK_FROM: sdkFrom, FT_BENCH_WARM_BYTES: String(sizeMiB * MiB) },
      maxBuffer: 1 << 20,
    },
  )
  const r = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { ms: number; maxRss: number }
  const size = (await stat(output)).size
  await rm(output, { force: true })
  return { ...r, size }
}

const plain = join(tmpdir(), `zg-ft-bench-${sizeMiB}MiB.zip`)
const enc = `${plain}.enc`
const out = `${plain}.out`
process.stderr.write(`preparing ${sizeMiB} MiB…\n`)
await writePattern(plain, sizeMiB * MiB)
const t0 = performance.now()
await Effect.runPromise(
  encryptModelFile(plain, enc, {
    key: Redacted.make(Uint8Array.from(Buffer.from(keyHex, "hex"))),
    teeKey: Redacted.make(tee.privateKey),
  }),
)
const encryptMs = performance.now() - t0
await rm(plain, { force: true })

const impls = existsSync(join(sdkFrom, "node_modules", "@0gfoundation", "0g-compute-ts-sdk"))
  ? ["baseline", "ours", "sdk"]
  : ["baseline", "ours"]
const best = new Map<string, { ms: Array<number>; rss: number; size: number }>()
for (let round = 1; round <= 2; round++) {
  for (const impl of impls) {
    process.stderr.write(`round ${round}: ${impl}…\n`)
    const r = await run(impl, enc, out)
    const prev = best.get(impl)
    best.set(impl, { ms: [...(prev?.ms ?? []), r.ms], rss: Math.max(prev?.rss ?? 0, r.maxRss), size: r.size })
  }
}
await rm(enc, { force: true })

// The machine's ceiling: in-memory AES-256-GCM over 64 MiB, no I/O (the machine may be shared; read ratios).
const ceiling = (() => {
  const data = new Uint8Array(64 * MiB)
  const t = performance.now()
  createDecipheriv("aes-256-gcm", Buffer.from(keyHex, "hex"), new Uint8Array(12)).update(data)
  return data.length / 1e6 / ((performance.now() - t) / 1000)
})()
const bytes = sizeMiB * MiB
const mbps = (ms: number) => bytes / 1e6 / (ms / 1000)
const sdkBest = best.get("sdk") === undefined ? undefined : Math.min(...(best.get("sdk")?.ms ?? []))
const lines = [
  `Decrypt a ${sizeMiB} MiB encrypted model, ${process.env.FT_BENCH_COLD === "1" ? "cold" : "warm"} page pool (emulator encryptor: ${mbps(encryptMs).toFixed(0)} MB/s; in-memory AES-GCM ceiling on this machine: ${ceiling.toFixed(0)} MB/s)`,
]
const baseRss = best.get("baseline")?.rss ?? 0
lines.push("impl     runs ms              best MB/s   vs SDK   peak RSS MB (over baseline)   output ok")
for (const [impl, r] of best) {
  if (impl === "baseline") {
    lines.push(
      `${"baseline".padEnd(8)} ${"(loads the modules, decrypts nothing)".padEnd(47)} ${(r.rss / 1e6).toFixed(0).padStart(11)}`,
    )
    continue
  }
  const b = Math.min(...r.ms)
  const ratio = sdkBest === undefined ? "n/a" : `${(sdkBest / b).toFixed(2)}×`
  const row = [
    impl.padEnd(8),
    r.ms
      .map((m) => m.toFixed(0))
      .join(" / ")
      .padEnd(20),
    mbps(b).toFixed(0).padStart(9),
  ]
  const rss = `${(r.rss / 1e6).toFixed(0)} (+${((r.rss - baseRss) / 1e6).toFixed(0)})`
  lines.push(`${row.join(" ")}   ${ratio.padStart(6)}   ${rss.padStart(27)}   ${r.size === bytes}`)
}
const ours = best.get("ours")
if (ours !== undefined) {
  const fast = mbps(Math.min(...ours.ms)) >= 1000
  const lean = ours.rss - baseRss < 200e6
  lines.push(
    `targets: ≥ 1000 MB/s ${fast ? "met" : "NOT met"}; < 200 MB RSS for the decryption ${lean ? "met" : "NOT met"}`,
  )
}
process.stdout.write(`${lines.join("\n")}\n`)
