/** Promise facade of the browser-safe entry: thin wrappers rejecting with the typed errors themselves. */
import { runFacade } from "@0g-compute/core"
import { type ByteSource, type FileMerkle, type HashOptions, merkleOf } from "./merkle/index.js"

/** Root, submission nodes and segment roots of bytes, a Blob/File, a ReadableStream or an async iterable. */
export const computeRoot = (input: ByteSource, options: HashOptions = {}): Promise<FileMerkle> =>
  runFacade(merkleOf(input, options))
