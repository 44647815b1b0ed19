/**
 * Optional 0G Storage for the emulated provider (fine-tuning-protocol.md §6, §7.5): datasets named by their storage
 * root are fetched from the storage devnet, and the encrypted model is uploaded there so that `modelRootHash` is its
 * merkle root. Uploads pay the Flow fee from the provider wallet.
 */
import { makeFacadeRuntime } from "@0g-compute/core"
import { clientLayer, downloadBytesEffect, payerLayer } from "@0g-compute/storage"
import { uploadFileEffect } from "@0g-compute/storage/node"
import { Layer } from "effect"
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
  /** Releases the storage runtime. */
  readonly close: () => Promise<void>
}

/**
 * Storage's effects on one runtime per emulator (built on first use): the transport and settings, plus the chain,
 * wallet and transaction engine of the provider wallet that pays the Flow.
 */
export const storageAccess = (options: ProviderStorageOptions, chain: ProviderChain): StorageAccess => {
  const runtime = makeFacadeRuntime(
    Layer.merge(
      clientLayer({
        indexerUrl: options.indexerUrl,
        pollIntervalMs: options.pollIntervalMs ?? 50,
        ...(options.flowAddress === undefined ? {} : { flowAddress: options.flowAddress }),
      }),
      payerLayer(chain.wallet),
    ),
  )
  return {
    fetch: (root) =>
      /^0x[0-9a-fA-F]{64}$/.test(root)
        ? runtime.run(downloadBytesEffect(root)).catch(() => undefined)
        : Promise.resolve(undefined),
    // Under the provider wallet's transaction queue: the Flow `submit` must not race the emulator's own nonces.
    publish: (path) =>
      chain.exclusive(async () => (await runtime.run(uploadFileEffect(path, { resumeDir: false }))).root),
    close: () => runtime.dispose(),
  }
}
