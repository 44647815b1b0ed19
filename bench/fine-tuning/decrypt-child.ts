/**
 * One decryption in a fresh process (so peak RSS is its own):
 * `decrypt-child.ts baseline|ours|sdk <in> <out> <keyHex> <signer>`; "ours" is crypto's `decryptModelFile`, the one
 * decryptor `decryptModel` uses.
 * Prints one JSON line: { ms, maxRss }.
 */

import { open, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { decryptModelFile } from "@0g-compute/crypto/node"
import { Effect, Redacted } from "effect"

const [impl, input, output, keyHex, signer] = process.argv.slice(2) as [string, string, string, string, string]

/** The official SDK's file decryptor; it is not exported from the package root, so load its module by path. */
const officialDecrypt = () => {
  const req = createRequire(join(process.env.ZG_SDK_FROM ?? process.cwd(), "package.json"))
  const main = req.resolve("@0gfoundation/0g-compute-ts-sdk")
  const encrypt = req(join(main, "..", "common", "utils", "encrypt.js")) as {
    aesGCMDecryptToFile: (key: string, input: string, output: string, signer: string) => Promise<void>
  }
  return encrypt.aesGCMDecryptToFile
}

/**
 * On this kind of VM, page-cache pages idle for about a second go back to the host, and taking them again costs ~2–3 s
 * of kernel time per GiB (a plain 1 GiB write here: ~2.3 s cold, ~0.2 s right after another). Writing and deleting a
 * scratch file as large as the output just before the timed part gives every implementation the same warm pool, so
 * the rows compare decryptors rather than the host. `FT_BENCH_COLD=1` skips it.
 */
const warmPageCache = async (dir: string, size: number) => {
  if (process.env.FT_BENCH_COLD === "1" || size === 0) return
  const scratch = join(dir, `.zg-ft-bench-scratch-${process.pid}`)
  const fh = await open(scratch, "w")
  const block = new Uint8Array(16 * 1024 * 1024)
  try {
    for (let done = 0; done < size; done += block.length) await fh.write(block, 0, Math.min(block.length, size - done))
  } finally {
    await fh.close()
    await rm(scratch, { force: true })
  }
}
await warmPageCache(dirname(output), Number(process.env.FT_BENCH_WARM_BYTES ?? 0))

const start = performance.now()
const key = Redacted.make(Uint8Array.from(Buffer.from(keyHex, "hex")))
if (impl === "baseline") {
  // Everything loaded, nothing decrypted: the process's own footprint, for reading the RSS column.
  await Effect.runPromise(Effect.void)
  await import("node:fs/promises").then((fs) => fs.writeFile(output, ""))
} else if (impl === "ours") {
  await Effect.runPromise(decryptModelFile(input, output, { key, expectedSigner: signer }))
} else {
  await officialDecrypt()(keyHex, input, output, signer)
}
const ms = performance.now() - start
process.stdout.write(`${JSON.stringify({ ms, maxRss: process.resourceUsage().maxRSS * 1024 })}\n`)
