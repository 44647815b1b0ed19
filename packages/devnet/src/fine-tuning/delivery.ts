/**
 * The Finalizer's file work (fine-tuning-protocol.md §7): random AES key → encrypted model file in the byte-exact
 * provider format (via the crypto package's streaming encryptor) → `modelRootHash`, either keccak256 of the file
 * (no storage upload) or its 0G merkle root (as after a one-fragment storage upload). The plaintext zip is deleted
 * as soon as it is encrypted.
 */
import { randomBytes } from "node:crypto"
import { mkdir, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { encryptModelFile, keccak256File } from "@0g-compute/crypto/node"
import { merkleOfFile } from "@0g-compute/storage/node"
import { Effect, Redacted } from "effect"
import { keccak256, toUtf8Bytes, Wallet } from "ethers"

export type RootHashKind = "keccak" | "merkle"

export interface DeliveryOptions {
  readonly chunkSize: number
  readonly rootHash: RootHashKind
  /** Sign the tags with a key other than the registered TEE signer (fault). */
  readonly wrongTagSignature: boolean
  /** Publish a root that is not the file's (fault). */
  readonly wrongRoot: boolean
  /** Uploads the file to 0G Storage and returns its merkle root; its failure keeps the local root (§7.5). */
  readonly publish?: (path: string) => Promise<string>
  readonly onPublishError?: (cause: unknown) => void
}

export interface Delivered {
  readonly path: string
  readonly modelRootHash: string
  readonly key: Redacted.Redacted<Uint8Array>
  readonly fileLength: number
}

export const deliverModel = async (
  zip: Uint8Array,
  dir: string,
  teeKey: Redacted.Redacted<string>,
  options: DeliveryOptions,
): Promise<Delivered> => {
  await mkdir(dir, { recursive: true })
  const zipPath = join(dir, "output_model.zip")
  const path = join(dir, "model.enc")
  const key = Redacted.make(new Uint8Array(randomBytes(32)))
  const signingKey = options.wrongTagSignature ? Redacted.make(Wallet.createRandom().privateKey) : teeKey
  await writeFile(zipPath, zip, { mode: 0o600 })
  try {
    const { fileLength } = await Effect.runPromise(
      encryptModelFile(zipPath, path, { key, teeKey: signingKey, chunkSize: options.chunkSize }),
    )
    let root =
      options.rootHash === "merkle"
        ? (await Effect.runPromise(merkleOfFile(path))).root
        : await Effect.runPromise(keccak256File(path))
    if (options.publish !== undefined) {
      root = await options.publish(path).catch((e: unknown) => {
        options.onPublishError?.(e)
        return root
      })
    }
    const modelRootHash = options.wrongRoot ? keccak256(toUtf8Bytes(`not the root of ${root}`)) : root
    return { path, modelRootHash, key, fileLength }
  } finally {
    await rm(zipPath, { force: true })
  }
}
