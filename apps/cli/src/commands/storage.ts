/**
 * `0g-compute storage root|upload|download`: 0G Storage files, hashed on every core, downloads verified segment by
 * segment and against the root before they appear under their name.
 */
import { NETWORKS, parseNetwork } from "@0g-compute/core/light"
import { Config, Data, Effect, Layer, Option, Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { requireKey, rpcOf } from "../context.js"
import { CliIO } from "../io.js"
import * as lazy from "../lazy.js"
import { forTerminal, keyValues, makePrinter, progressBar, zg } from "../output.js"
import { txJournalLayer } from "../tx-journal.js"
import { optionalZG } from "./flags.js"
import { globals, switchFlag, withGlobals } from "./root.js"

export class NoIndexer extends Data.TaggedError("NoIndexer")<{ readonly network: string }> {
  override get message() {
    return `No storage indexer for ${this.network}: pass --indexer <url> (devnet up prints it)`
  }
}

const isHttpUrl = (s: string) => {
  try {
    return /^https?:$/.test(new URL(s).protocol)
  } catch {
    return false
  }
}

const indexerFlag = Flag.String("indexer").pipe(
  Flag.withDescription("storage indexer URL (default: the network preset's)"),
  Flag.withFallbackConfig(Config.String("ZG_STORAGE_INDEXER")),
  // Otherwise the storage client reports a malformed URL as "no storage node has finalized file …".
  Flag.filter(isHttpUrl, () => "an http(s) URL"),
  Flag.optional,
)

const flowFlag = Flag.String("flow").pipe(
  Flag.withDescription("storage Flow contract to pay (default: the network preset's; required where none is pinned)"),
  Flag.withFallbackConfig(Config.String("ZG_STORAGE_FLOW")),
  Flag.optional,
)

const marketFlag = Flag.String("market").pipe(
  Flag.withDescription("market the Flow must report (default: the preset's, for the preset's Flow)"),
  Flag.optional,
)

const maxFeeFlag = Flag.String("max-fee").pipe(
  Flag.withDescription("refuse to pay a storage fee above this many 0G (default: sectors × the market's price)"),
  Flag.optional,
)

const resolveIndexer = (indexer: Option.Option<string>) =>
  Effect.gen(function* () {
    if (Option.isSome(indexer)) return indexer.value
    const g = yield* globals
    const sel = yield* parseNetwork(g.network)
    const preset = sel._tag === "Preset" ? sel.preset.storageIndexer : undefined
    if (preset === undefined) return yield* new NoIndexer({ network: g.network })
    return preset
  })

const rootCmd = Command.make(
  "root",
  { file: Argument.String("file").pipe(Argument.withDescription("file to hash")) },
  ({ file }) =>
    withGlobals((g) =>
      Effect.gen(function* () {
        const { merkleOfFile } = yield* lazy.storageNode
        const bar = yield* progressBar(g.json, "hashing")
        const merkle = yield* merkleOfFile(file, { onProgress: (p) => bar.update(p.bytes, p.totalBytes) })
        bar.done()
        yield* makePrinter(g.json).result(
          { file, root: merkle.root, size: merkle.layout.size },
          () => `${merkle.root}  ${file}`,
        )
      }),
    ),
).pipe(Command.withDescription("the 0G Storage merkle root of a file (no network)"))

const upload = Command.make(
  "upload",
  {
    file: Argument.String("file").pipe(Argument.withDescription("file to upload")),
    indexer: indexerFlag,
    flow: flowFlag,
    market: marketFlag,
    maxFee: maxFeeFlag,
  },
  ({ file, indexer, flow, market, maxFee }) =>
    withGlobals((g) =>
      Effect.gen(function* () {
        const key = yield* requireKey(g)
        const { rpcUrl, network } = yield* rpcOf(g)
        const indexerUrl = yield* resolveIndexer(indexer)
        const ceiling = yield* optionalZG(maxFee)
        const { makeRpcProvider } = yield* lazy.core
        const { Wallet } = yield* lazy.ethers
        const { clientLayer, payerLayer } = yield* lazy.storage
        const { uploadFileEffect } = yield* lazy.storageNode
        const io = yield* CliIO
        const provider = yield* Effect.acquireRelease(
          Effect.sync(() => makeRpcProvider(rpcUrl, network === undefined ? undefined : NETWORKS[network].chainId)),
          (p) => Effect.sync(() => p.destroy()),
        )
        // The payer: this key on the RPC's chain (any chain id: storage needs no compute contracts), its transactions
        // journaled next to the keystore like every other command's.
        const payer = payerLayer(new Wallet(Redacted.value(key), provider)).pipe(Layer.provide(txJournalLayer))
        const where = {
          indexerUrl,
          ...(Option.isSome(flow) ? { flowAddress: flow.value } : {}),
          ...(Option.isSome(market) ? { marketAddress: market.value } : {}),
        }
        const hashing = yield* progressBar(g.json, "hashing  ")
        const sending = yield* progressBar(g.json, "uploading")
        const result = yield* uploadFileEffect(file, {
          ...(ceiling === undefined ? {} : { maxFee: ceiling }),
          onProgress: (p) => {
            if (p.phase === "hash") hashing.update(p.bytes, p.totalBytes)
            else if (p.phase === "upload") sending.update(p.segmentsDone, p.segmentsTotal)
            else if (p.phase === "fee" && !g.json) {
              // Shown before the transaction is sent: what we pay and to whom.
              const line = `storage fee ${zg(p.fee)} (${p.sectors} sectors × ${p.pricePerSector} neuron) to Flow ${p.flow}`
              io.stderr(`${forTerminal(line)}\n`)
            }
          },
        }).pipe(Effect.provide(Layer.merge(clientLayer(where), payer)))
        hashing.done()
        sending.done()
        yield* makePrinter(g.json).result({ file, ...result }, () =>
          keyValues([
            ["root", result.root],
            ["size", `${result.size} bytes`],
            ["tx", result.txHash ?? "none (already known to the network)"],
            ["fee", zg(result.fee)],
            ["gas", zg(result.gasFee)],
            ["already stored", result.alreadyStored ? "yes" : "no"],
          ]),
        )
      }).pipe(Effect.scoped),
    ),
).pipe(
  Command.withDescription(
    "upload a file to 0G Storage: pays the pinned Flow once, sectors × price (bounded by --max-fee); resumable",
  ),
)

const download = Command.make(
  "download",
  {
    rootHash: Argument.String("root").pipe(
      Argument.withDescription("0x-prefixed merkle root"),
      Argument.filter(
        (r) => /^0x[0-9a-fA-F]{64}$/.test(r),
        () => "0x followed by 64 hex digits, as `storage root` prints",
      ),
    ),
    out: Argument.String("out").pipe(Argument.withDescription("destination file")),
    indexer: indexerFlag,
    overwrite: switchFlag("overwrite", "replace an existing file"),
  },
  ({ rootHash, out, indexer, overwrite }) =>
    withGlobals((g) =>
      Effect.gen(function* () {
        const indexerUrl = yield* resolveIndexer(indexer)
        const { clientLayer } = yield* lazy.storage
        const { downloadToFile } = yield* lazy.storageNode
        const bar = yield* progressBar(g.json, "downloading")
        const result = yield* downloadToFile(rootHash, out, {
          overwrite,
          onProgress: (p) => bar.update(p.bytes, p.totalBytes),
        }).pipe(Effect.provide(clientLayer({ indexerUrl })))
        bar.done()
        yield* makePrinter(g.json).result(
          result,
          () => `verified ${result.size} bytes against ${result.root} → ${result.path}`,
        )
      }),
    ),
).pipe(Command.withDescription("download a file by root; every segment proof and the root are verified"))

export const storageCommand = Command.make("storage").pipe(
  Command.withDescription("0G Storage: roots, uploads, verified downloads"),
  Command.withSubcommands([rootCmd, upload, download]),
)
