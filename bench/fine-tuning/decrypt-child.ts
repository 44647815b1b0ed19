/**
 * One decryption in a fresh process (so peak RSS is its own):
 * `decrypt-child.ts baseline|ours|sdk <in> <out> <keyHex> <signer>`; "ours" is crypto's `decryptModelFile`, the one
 * decryptor `decryptModel` uses.
 * Prints one JSON line: { ms, maxRss }.
 */
import { createRequire } from "node:module"
import { join } from "node:path"
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
