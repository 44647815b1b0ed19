/**
 * One upload/download client in its own process:
 *   upload-child.mjs <impl> <file> <indexerUrl> <rpcUrl> <flowAddress> <privateKey> [root]
 * impl: ours | 0gfoundation (upload of <file>), ours-download | 0gfoundation-download (download <root> to <file>).
 */
import { JsonRpcProvider, Wallet } from "ethers"
import { reportChild } from "./util.js"

const [impl = "", path = "", indexerUrl = "", rpcUrl = "", flowAddress = "", key = "", root = ""] =
  process.argv.slice(2)

const impls: Record<string, () => Promise<() => Promise<string>>> = {
  ours: async () => {
    const { uploadFile } = await import("@0g-compute/storage/node")
    const signer = new Wallet(key, new JsonRpcProvider(rpcUrl))
    return async () => (await uploadFile(path, { indexerUrl, flowAddress, signer, resumeDir: false })).root
  },
  "0gfoundation": async () => {
    const { Indexer, ZgFile } = await import("@0gfoundation/0g-ts-sdk")
    const signer = new Wallet(key, new JsonRpcProvider(rpcUrl))
    return async () => {
      const file = await ZgFile.fromFilePath(path)
      try {
        const [res, err] = await new Indexer(indexerUrl).upload(file, rpcUrl, signer as never)
        if (err) throw err
        return (res as { rootHash: string }).rootHash
      } finally {
        await file.close()
      }
    }
  },
  "ours-download": async () => {
    const { downloadFile } = await import("@0g-compute/storage/node")
    return async () => (await downloadFile(root, path, { indexerUrl, overwrite: true })).root
  },
  "0gfoundation-download": async () => {
    const { Indexer } = await import("@0gfoundation/0g-ts-sdk")
    const { rmSync } = await import("node:fs")
    return async () => {
      rmSync(path, { force: true })
      const err = await new Indexer(indexerUrl).download(root, path, true)
      if (err) throw err
      return root
    }
  },
}

// The SDKs log every step; keep stdout for the result line.
console.log = () => {}
const load = impls[impl]
if (!load) throw new Error(`unknown impl ${impl}`)
await reportChild(impl, 1, await load())
