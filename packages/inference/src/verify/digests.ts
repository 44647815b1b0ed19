/**
 * Request-path digests. sha256 uses the platform's native hash when the runtime offers one synchronously (Node's
 * `node:crypto`, reached through `process.getBuiltinModule` so that browsers never import it) and falls back to
 * crypto's pure-JS hashing elsewhere; the EIP-191 digest is keccak256 over the prefixed message bytes, without
 * ethers' `hashMessage` dispatch. Both give exactly the same result as the slower paths (see digests.test.ts).
 */
import { type BodyHasher, bodyHasher, bodyHashHex } from "@0g-compute/crypto"
import { keccak256 } from "ethers"

interface NativeHash {
  update(data: Uint8Array): NativeHash
  digest(encoding: "hex"): string
}
type CreateHash = (algorithm: "sha256") => NativeHash

const nativeCreateHash = ((): CreateHash | undefined => {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const mod = proc?.getBuiltinModule?.("node:crypto") as { createHash?: CreateHash } | undefined
    return typeof mod?.createHash === "function" ? mod.createHash : undefined
  } catch {
    return undefined
  }
})()

/** sha256 of the exact bytes, lower-case hex without prefix. */
export const sha256Hex = (bytes: Uint8Array): string =>
  nativeCreateHash === undefined ? bodyHashHex(bytes) : nativeCreateHash("sha256").update(bytes).digest("hex")

/** Incremental sha256 (same interface as crypto's `bodyHasher`). */
export const sha256Hasher = (): BodyHasher => {
  if (nativeCreateHash === undefined) return bodyHasher()
  const h = nativeCreateHash("sha256")
  const self: BodyHasher = {
    update: (chunk) => {
      h.update(chunk)
      return self
    },
    digestHex: () => h.digest("hex"),
  }
  return self
}

const encoder = new TextEncoder()
const PREFIX = "\x19Ethereum Signed Message:\n"

/** EIP-191 `personal_sign` digest of a UTF-8 message (0x-prefixed hex), as ethers `hashMessage`. */
export const personalMessageDigest = (message: string): string => {
  const body = encoder.encode(message)
  const prefix = encoder.encode(`${PREFIX}${body.length}`)
  const all = new Uint8Array(prefix.length + body.length)
  all.set(prefix, 0)
  all.set(body, prefix.length)
  return keccak256(all)
}
