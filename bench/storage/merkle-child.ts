/** One merkle-root implementation in its own process: `merkle-child.ts <impl> <file> <runs>`. */
import { createReadStream } from "node:fs"
import { reportChild } from "./util.js"

const [impl = "", path = "", runsArg = "2"] = process.argv.slice(2)

interface SdkFile {
  merkleTree(): Promise<[{ rootHash(): string | null } | null, Error | null]>
  close(): Promise<void>
}

const sdk = async (open: (p: string) => Promise<SdkFile>) => {
  const f = await open(path)
  try {
    const [tree, err] = await f.merkleTree()
    if (err || !tree) throw err ?? new Error("no tree")
    return tree.rootHash() ?? ""
  } finally {
    await f.close()
  }
}

// Each implementation imports only its own code, so start-up RSS is comparable.
const impls: Record<string, () => Promise<() => Promise<string>>> = {
  ours: async () => {
    const { rootOfFile } = await import("@0g-compute/storage/node")
    return async () => (await rootOfFile(path)).root
  },
  "ours-1thread": async () => {
    const { computeRoot } = await import("@0g-compute/storage")
    return async () => (await computeRoot(createReadStream(path, { highWaterMark: 4 * 1024 * 1024 }))).root
  },
  "0gfoundation": async () => {
    const { ZgFile } = await import("@0gfoundation/0g-ts-sdk")
    return () => sdk((p) => ZgFile.fromFilePath(p))
  },
  "0glabs": async () => {
    const { ZgFile } = await import("@0glabs/0g-ts-sdk")
    return () => sdk((p) => ZgFile.fromFilePath(p))
  },
}

const load = impls[impl]
if (!load) throw new Error(`unknown impl ${impl}`)
await reportChild(impl, Number(runsArg), await load())
