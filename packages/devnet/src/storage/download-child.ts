/**
 * One `downloadFile` in a process of its own, for tests that lower this process's limits (a file size limit makes a
 * real write fail): `tsx download-child.ts <root> <dest> <indexerUrl>` prints the outcome as one JSON line.
 */
import { downloadFile } from "@0g-compute/storage/node"

const [root = "", dest = "", indexerUrl = ""] = process.argv.slice(2)

const outcome = await downloadFile(root, dest, { indexerUrl, overwrite: true }).then(
  (r) => ({ ok: true, size: r.size }),
  (e: { _tag?: string; path?: string; message?: string }) => ({
    ok: false,
    tag: e._tag,
    path: e.path,
    message: e.message,
  }),
)
process.stdout.write(`${JSON.stringify(outcome)}\n`, () => process.exit(0))
