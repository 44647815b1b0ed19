/**
 * Upload (and download) of a 64 MiB file to the storage devnet: ours vs @0gfoundation/0g-ts-sdk 1.2.8, each client
 * in its own plain-node process (peak RSS of the client only), anvil + emulated node + indexer in this process.
 */
import { readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { startAnvil } from "@0g-compute/contracts/node"
import { startStorageDevnet } from "@0g-compute/devnet/storage"
import { HDNodeWallet, Mnemonic } from "ethers"
import { buildChildren } from "./build.js"
import { type ChildResult, ensureRecipeFile, MiB, runChildPlain, table } from "./util.js"

export const benchUpload = async (sizeMiB = Number(process.env.UPLOAD_MIB ?? 64)): Promise<void> => {
  const size = sizeMiB * MiB
  const children = await buildChildren()
  const anvil = await startAnvil()
  const devnet = await startStorageDevnet({ rpcUrl: anvil.rpcUrl })
  const accounts = HDNodeWallet.fromMnemonic(
    Mnemonic.fromPhrase("test test test test test test test test test test test junk"),
    "m/44'/60'/0'/0",
  )
  const key = (i: number) => accounts.deriveChild(i).privateKey
  const results: ChildResult[] = []
  const files: string[] = []
  try {
    // Distinct content per run (the same bytes would be "already stored" the second time).
    const plan = [
      ["ours", 6],
      ["0gfoundation", 7],
      ["ours", 6],
      ["0gfoundation", 7],
    ] as const
    let roots: Record<string, { root: string; path: string }> = {}
    for (const [i, [impl, account]] of plan.entries()) {
      const path = join(tmpdir(), `zg-bench-upload-${sizeMiB}MiB-${i}.bin`)
      files.push(path)
      await ensureRecipeFile(path, size, i + 1)
      process.stderr.write(`upload ${sizeMiB} MiB: ${impl} (run ${i})…\n`)
      const r = await runChildPlain(children["upload-child"] as string, [
        impl,
        path,
        devnet.indexerUrl,
        anvil.rpcUrl,
        devnet.flowAddress,
        key(account),
      ])
      results.push(r)
      roots = { ...roots, [impl]: { root: r.result, path } }
    }
    for (const impl of ["ours-download", "0gfoundation-download"]) {
      const { root, path: source } = roots.ours as { root: string; path: string }
      const out = join(tmpdir(), `zg-bench-download-${impl}.bin`)
      files.push(out)
      process.stderr.write(`download ${sizeMiB} MiB: ${impl}…\n`)
      const r = await runChildPlain(children["upload-child"] as string, [
        impl,
        out,
        devnet.indexerUrl,
        anvil.rpcUrl,
        devnet.flowAddress,
        key(6),
        root,
      ])
      if (!readFileSync(out).equals(readFileSync(source))) throw new Error(`${impl} bytes differ`)
      results.push(r)
    }
  } finally {
    await devnet.stop()
    await anvil.stop()
    for (const f of files) rmSync(f, { force: true })
  }
  const best = (label: string) => Math.min(...results.filter((r) => r.label === label).flatMap((r) => r.runsMs))
  const peak = (label: string) => Math.max(...results.filter((r) => r.label === label).map((r) => r.peakRss))
  const rows = ["ours", "0gfoundation", "ours-download", "0gfoundation-download"].map((label) => {
    const base = label.endsWith("download") ? "0gfoundation-download" : "0gfoundation"
    const runs = results.filter((r) => r.label === label).flatMap((r) => r.runsMs)
    return [
      label,
      runs.map((ms) => ms.toFixed(0)).join(" / "),
      (size / 1e6 / (best(label) / 1000)).toFixed(1),
      `${(best(base) / best(label)).toFixed(1)}×`,
      (peak(label) / 1e6).toFixed(0),
    ]
  })
  process.stdout.write(
    `\n${sizeMiB} MiB to the storage devnet (anvil + emulated node + indexer), client in its own process\n`,
  )
  process.stdout.write(`${table(["client", "runs ms", "best MB/s", "vs 0gfoundation", "client peak RSS MB"], rows)}\n`)
}
