/**
 * The heavy modules (ethers, the contracts and feature packages, the devnet), loaded on first use by a handler so that
 * `--help`, `--version` and flag errors never pay for them. Node caches each import after the first.
 */
import { Effect } from "effect"

export const core = Effect.promise(() => import("@0g-compute/core"))
export const contracts = Effect.promise(() => import("@0g-compute/contracts"))
export const devnet = Effect.promise(() => import("@0g-compute/devnet"))
export const ethers = Effect.promise(() => import("ethers"))
export const inference = Effect.promise(() => import("@0g-compute/inference"))
export const inferenceNode = Effect.promise(() => import("@0g-compute/inference/node"))
export const fineTuningNode = Effect.promise(() => import("@0g-compute/fine-tuning/node"))
export const storage = Effect.promise(() => import("@0g-compute/storage"))
export const storageNode = Effect.promise(() => import("@0g-compute/storage/node"))
export const router = Effect.promise(() => import("@0g-compute/router"))
