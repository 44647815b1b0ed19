/**
 * The prelude every README module runs with (imported by the generated module, see compose.ts).
 *
 * README code should read like a user's script: keys from `process.env.ZG_PRIVATE_KEY`, the RPC from
 * `process.env.ZG_RPC_URL` (what `0g-compute devnet up` serves: http://127.0.0.1:8545), relative file names. The
 * harness makes that true: it sets these environment variables and runs each README in its own working directory.
 *
 * Environment of a README run:
 * - `ZG_PRIVATE_KEY`      a funded devnet wallet of its own (10 000 0G, no ledger yet)
 * - `ZG_RPC_URL`          the devnet's RPC URL (chain 31337, contracts at the devnet preset's addresses)
 * - `ZG_STORAGE_INDEXER`  the devnet's 0G Storage indexer URL
 * Working directory: a fresh temp directory holding `data.jsonl`, a small fine-tuning dataset.
 *
 * Names a snippet may use without declaring them (a declaration in the README shadows them):
 * `rpcUrl`, `privateKey` (the same key, hex), `signer` (an ethers Wallet for it, connected), `indexerUrl`,
 * `flowAddress` (the devnet's 0G Storage Flow contract), `inferenceProvider` / `fineTuningProvider` (addresses of the
 * emulated providers), `chatModel` (the emulated inference provider's model).
 */
import { JsonRpcProvider, Wallet } from "ethers"

export interface DocsPrelude {
  readonly rpcUrl: string
  readonly privateKey: string
  readonly signer: Wallet
  readonly indexerUrl: string
  readonly flowAddress: string
  readonly inferenceProvider: string
  readonly fineTuningProvider: string
  readonly chatModel: string
}

/** What the harness passes to the child (JSON in `ZG_DOCS_PRELUDE`). */
export type PreludeData = Omit<DocsPrelude, "signer">

const data = JSON.parse(process.env.ZG_DOCS_PRELUDE ?? "{}") as Partial<PreludeData>
const rpc = data.rpcUrl === undefined ? undefined : new JsonRpcProvider(data.rpcUrl, undefined, { staticNetwork: true })

export const __docs: DocsPrelude = {
  rpcUrl: data.rpcUrl ?? "",
  privateKey: data.privateKey ?? "",
  signer: new Wallet(data.privateKey ?? Wallet.createRandom().privateKey, rpc),
  indexerUrl: data.indexerUrl ?? "",
  flowAddress: data.flowAddress ?? "",
  inferenceProvider: data.inferenceProvider ?? "",
  fineTuningProvider: data.fineTuningProvider ?? "",
  chatModel: data.chatModel ?? "",
}

/** Progress markers on stdout, one line each; the harness maps them back to README blocks. */
export const MARK = "##docs"

/** Called before README block `index` runs. */
export const __block = (index: number): void => {
  process.stdout.write(`\n${MARK} block ${index}\n`)
}

/** Called after the last block: releases the prelude's own connection, so only the README's handles remain. */
export const __done = (): void => {
  rpc?.destroy()
  process.stdout.write(`\n${MARK} done\n`)
}

/** A block threw: report what a user would see (the typed error's tag and message) and exit at once, since the
 * README's own clients are still open. */
export const __fail = (error: unknown): void => {
  rpc?.destroy()
  const e = error as { _tag?: unknown; message?: unknown; stack?: unknown }
  const report = {
    tag: typeof e?._tag === "string" ? e._tag : undefined,
    message: typeof e?.message === "string" ? e.message : String(error),
    stack: typeof e?.stack === "string" ? e.stack : undefined,
  }
  process.stdout.write(`\n${MARK} fail ${JSON.stringify(report)}\n`)
  process.exit(1)
}
