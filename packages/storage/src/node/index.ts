/** Node-only entry: file hashing on worker threads, file upload/download with resume. */
import { runFacade } from "@0g-compute/core"
import type { FileMerkle } from "../merkle/index.js"
import { type FileHashOptions, merkleOfFile } from "./file-root.js"

export { type FileHashOptions, merkleOfFile } from "./file-root.js"
export { HashPool } from "./hash-pool.js"

/** Root of the file at `path`; large files are hashed on worker threads (every core). */
export const rootOfFile = (path: string, options: FileHashOptions = {}): Promise<FileMerkle> =>
  runFacade(merkleOfFile(path, options))
