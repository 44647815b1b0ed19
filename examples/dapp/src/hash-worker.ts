/** Storage root of a user-picked file, off the main thread: the browser-safe `computeRoot` reads the Blob in blocks. */
import { computeRoot } from "@0g-compute/storage"

export type HashRequest = { readonly file: File }
export type HashReply =
  | { readonly type: "progress"; readonly bytes: number; readonly totalBytes: number | undefined }
  | { readonly type: "done"; readonly root: string; readonly size: number }
  | { readonly type: "error"; readonly message: string }

// The page's tsconfig has the DOM lib, not the worker lib (the two conflict): the worker's scope, as far as used here.
const scope = self as unknown as {
  postMessage(message: HashReply): void
  onmessage: ((event: MessageEvent<HashRequest>) => void) | null
}
const reply = (m: HashReply) => scope.postMessage(m)

scope.onmessage = async (event: MessageEvent<HashRequest>) => {
  const { file } = event.data
  try {
    const merkle = await computeRoot(file, {
      what: `file ${file.name}`,
      onProgress: (p) => reply({ type: "progress", bytes: p.bytes, totalBytes: p.totalBytes }),
    })
    reply({ type: "done", root: merkle.root, size: file.size })
  } catch (e) {
    reply({ type: "error", message: e instanceof Error ? e.message : String(e) })
  }
}
