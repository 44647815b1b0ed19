/**
 * Request-path digests. sha256 uses the platform's native hash when the runtime offers one synchronously (Node's
 * `node:crypto`, reached through `process.getBuiltinModule` so that browsers never import it) and falls back to
 * ethers' sha256 elsewhere; whole bodies go through the one-shot `crypto.hash` where it exists (no Hash object per
 * call). The EIP-191 digest is ethers' keccak256 over the prefixed message bytes, without `hashMessage`'s conversion
 * layers. In a browser the page then carries one copy of each hash, the one ethers brings. All give exactly the same
 * result as the slower paths (see digests.test.ts).
 */
import { joinBytes } from "@0g-compute/core"
import type { BodyHasher } from "@0g-compute/crypto"
import { keccak256, sha256 } from "ethers"

interface NativeHash {
  update(data: Uint8Array): NativeHash
  digest(encoding: "hex"): string
}
interface NodeCrypto {
  createHash?: (algorithm: "sha256") => NativeHash
  /** Node ≥ 20.12: one-shot digest. */
  hash?: (algorithm: "sha256", data: Uint8Array, encoding: "hex") => string
}

const nodeCrypto = ((): NodeCrypto | undefined => {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    return proc?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined
  } catch {
    return undefined
  }
})()
const nativeCreateHash = typeof nodeCrypto?.createHash === "function" ? nodeCrypto.createHash : undefined
const nativeHash = typeof nodeCrypto?.hash === "function" ? nodeCrypto.hash : undefined

/** sha256 of the exact bytes, lower-case hex without prefix. */
export const sha256Hex = (bytes: Uint8Array): string =>
  nativeHash !== undefined
    ? nativeHash("sha256", bytes, "hex")
    : nativeCreateHash !== undefined
      ? nativeCreateHash("sha256").update(bytes).digest("hex")
      : sha256(bytes).slice(2)

/**
 * Incremental sha256 (same interface as crypto's `bodyHasher`). Without a native hash (a browser) the chunks are kept
 * and hashed once at the end: a stream's bytes are held until it ends (its size is bounded by the response ceiling).
 */
export const sha256Hasher = (): BodyHasher => {
  if (nativeCreateHash === undefined) return heldSha256()
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

/** The browser fallback of {@link sha256Hasher}: chunks kept, one sha256 (ethers) at the end. */
export const heldSha256 = (): BodyHasher => {
  const chunks: Uint8Array[] = []
  const self: BodyHasher = {
    update: (chunk) => {
      chunks.push(chunk.slice()) // the caller may reuse its buffer
      return self
    },
    digestHex: () => sha256(joinBytes(chunks)).slice(2),
  }
  return self
}

const encoder = new TextEncoder()
const PREFIX = "\x19Ethereum Signed Message:\n"
/** Encoded prefixes by message length: every response signature signs a 129-byte text. */
const prefixes = new Map<number, Uint8Array>()
const prefixOf = (length: number): Uint8Array => {
  let p = prefixes.get(length)
  if (p === undefined) {
    p = encoder.encode(`${PREFIX}${length}`)
    if (prefixes.size < 64) prefixes.set(length, p)
  }
  return p
}

/** EIP-191 `personal_sign` digest of a UTF-8 message (0x-prefixed hex), as ethers `hashMessage`. */
export const personalMessageDigest = (message: string): string => {
  const body = encoder.encode(message)
  return keccak256(joinBytes([prefixOf(body.length), body]))
}
