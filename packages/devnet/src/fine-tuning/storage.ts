/**
 * Optional 0G Storage for the emulated provider (fine-tuning-protocol.md §6, §7.5): datasets named by their storage
 * root are fetched from the storage devnet, and the encrypted model is uploaded there so that `modelRootHash` is its
 * merkle root. Uploads pay the Flow fee from the provider wallet.
 */
import { downloadBytes } from "@0g-compute/storage"
import { uploadFile } from "@0g-compute/storage/node"
import type { ProviderChain } from "./chain.js"

export interface ProviderStorageOptions {
  /** The storage devnet's indexer. */
  readonly indexerUrl: string
  readonly flowAddress?: string
  /** How often storage waits poll the nodes (default 50 ms). */
  readonly pollIntervalMs?: number
}

export interface StorageAccess {
  /** The dataset stored under `root`, or undefined when storage does not have it. */
  readonly fetch: (root: string) => Promise<Uint8Array | undefined>
  /** Uploads a file and returns its merkle root. */
  readonly publish: (path: string) => Promise<string>
}

export const storageAccess = (options: ProviderStorageOptions, chain: ProviderChain): StorageAccess => {
  const common = {
    indexerUrl: options.indexerUrl,
    pollIntervalMs: options.pollIntervalMs ?? 50,
    ...(options.flowAddress === undefined ? {} : { flowAddress: options.flowAddress }),
  }
  return {
    fetch: (root) =>
      /^0x[0-9a-fA-F]{64}$/.test(root)
        ? downloadBytes(root, common).catch(() => undefined)
        : Promise.resolve(undefined),
    // Under the provider wallet's transaction queue: the Flow `submit` must not race our own nonces.
    publish: (path) =>
      chain.exclusive(async () => (await uploadFile(path, { ...common, signer: chain.wallet, resumeDir: false })).root),
  }
}
