/** Upload of a file on disk: hashed on worker threads, read by segment, resumable through a state file per root. */
import { constants } from "node:fs"
import { mkdir, open, readFile, rename, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { SourceReadError } from "../errors.js"
import type { HashProgress } from "../merkle/index.js"
import {
  type UploadEnv,
  type UploadError,
  type UploadHashError,
  type UploadOptions,
  type UploadResult,
  type UploadResumeStore,
  type UploadState,
  uploadWithMerkle,
} from "../upload.js"
import { type FileHashOptions, merkleOfFile } from "./file-root.js"

/** Keeps upload state as `<dir>/<root>.json` (default dir: `<os tmp>/0g-storage-uploads`). */
export const fileResumeStore = (dir: string = join(tmpdir(), "0g-storage-uploads")): UploadResumeStore => {
  const path = (root: string) => join(dir, `${root.toLowerCase()}.json`)
  return {
    load: async (root) => {
      try {
        const s = JSON.parse(await readFile(path(root), "utf8")) as UploadState
        const valid =
          s.root === root &&
          typeof s.size === "number" &&
          (s.txSeq === undefined || typeof s.txSeq === "number") &&
          (s.txHash === undefined || typeof s.txHash === "string")
        return valid ? { ...s, done: s.done ?? {} } : undefined
      } catch {
        return undefined
      }
    },
    save: async (state) => {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const p = path(state.root)
      // The default directory is under the shared tmp dir: never write through a link planted there.
      await rm(`${p}.tmp`, { force: true })
      const fh = await open(
        `${p}.tmp`,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
        0o600,
      )
      try {
        await fh.writeFile(JSON.stringify(state))
      } finally {
        await fh.close()
      }
      await rename(`${p}.tmp`, p)
    },
    clear: async (root) => {
      await rm(path(root), { force: true })
    },
  }
}

export interface UploadFileOptions extends Omit<UploadOptions, "onProgress" | "resume"> {
  readonly onProgress?: (p: HashProgress | Parameters<NonNullable<UploadOptions["onProgress"]>>[0]) => void
  /** Where resume state lives; `false` disables resume. */
  readonly resumeDir?: string | false
  readonly hash?: Omit<FileHashOptions, "onProgress">
}

export const uploadFileEffect = (
  path: string,
  options: UploadFileOptions = {},
): Effect.Effect<UploadResult, UploadError | UploadHashError, UploadEnv> =>
  Effect.gen(function* () {
    const { onProgress } = options
    const merkle = yield* merkleOfFile(path, { ...options.hash, ...(onProgress ? { onProgress } : {}) })
    const fh = yield* Effect.tryPromise({
      try: () => open(path, "r"),
      catch: (cause) => new SourceReadError({ what: `file ${path}`, cause }),
    })
    const readInto = async (offset: number, target: Uint8Array) => {
      const n = Math.max(0, Math.min(target.length, merkle.layout.size - offset))
      let got = 0
      while (got < n) {
        const { bytesRead } = await fh.read(target, got, n - got, offset + got)
        if (bytesRead === 0) throw new Error(`${path} changed while uploading`)
        got += bytesRead
      }
      return n
    }
    const src = {
      size: merkle.layout.size,
      readInto,
      read: async (offset: number, length: number) => {
        const buf = new Uint8Array(Math.max(0, Math.min(length, merkle.layout.size - offset)))
        await readInto(offset, buf)
        return buf
      },
    }
    return yield* uploadWithMerkle(src, merkle, {
      ...options,
      ...(onProgress ? { onProgress } : {}),
      ...(options.resumeDir === false ? {} : { resume: fileResumeStore(options.resumeDir) }),
    }).pipe(Effect.ensuring(Effect.promise(() => fh.close())))
  })
