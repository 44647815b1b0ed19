/** keccak256 of a file, read in fixed-size pieces (flat memory) — e.g. `modelRootHash` checks on a 1 GB download. */
import { Effect } from "effect"
import type { ModelFileIoError } from "../errors.js"
import { keccak256Hasher } from "../keccak.js"
import { io, openScoped } from "./fs-effect.js"

export interface Keccak256FileOptions {
  /** Read size in bytes; default 4 MiB. */
  readonly bufferSize?: number
  readonly onProgress?: (progress: { readonly bytesDone: number; readonly bytesTotal: number }) => void
}

export const keccak256File = (
  path: string,
  options: Keccak256FileOptions = {},
): Effect.Effect<string, ModelFileIoError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const fh = yield* openScoped(path, "r", "open")
      const total = (yield* io(path, "stat", () => fh.stat())).size
      const buffer = new Uint8Array(options.bufferSize ?? 4 * 1024 * 1024)
      const hasher = keccak256Hasher()
      let done = 0
      for (;;) {
        const { bytesRead } = yield* io(path, "read", () => fh.read(buffer, 0, buffer.length, done))
        if (bytesRead === 0) break
        hasher.update(buffer.subarray(0, bytesRead))
        done += bytesRead
        options.onProgress?.({ bytesDone: done, bytesTotal: total })
      }
      return hasher.digest()
    }),
  )
