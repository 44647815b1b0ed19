/** Merkle root of any byte source as an Effect (browser-safe). */
import { Effect } from "effect"
import { EmptyFile, SourceReadError, StorageAborted } from "../errors.js"
import { EmptyInputError, type FileMerkle, MerkleBuilder } from "./builder.js"
import { loadKeccak } from "./keccak.js"
import { type ByteSource, readSource, sourceSize } from "./source.js"

export interface HashProgress {
  readonly phase: "hash"
  readonly bytes: number
  readonly totalBytes: number | undefined
}

export interface HashOptions {
  readonly onProgress?: (p: HashProgress) => void
  readonly signal?: AbortSignal
  /** Names the input in errors ("file x.bin"); default "input". */
  readonly what?: string
}

/** Finishes a builder, mapping empty input to {@link EmptyFile}. */
export const finishBuilder = (builder: MerkleBuilder, what: string): Effect.Effect<FileMerkle, EmptyFile> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(builder.finish())
    } catch (e) {
      if (e instanceof EmptyInputError) return Effect.fail(new EmptyFile({ what }))
      return Effect.die(e)
    }
  })

/** Root, submission nodes and segment roots of `src` in one streaming pass. */
export const merkleOf = (
  src: ByteSource,
  options: HashOptions = {},
): Effect.Effect<FileMerkle, EmptyFile | SourceReadError | StorageAborted> => {
  const what = options.what ?? "input"
  return Effect.gen(function* () {
    const keccak = yield* Effect.promise(loadKeccak)
    const builder = new MerkleBuilder(keccak)
    const totalBytes = sourceSize(src)
    yield* Effect.tryPromise({
      try: async () => {
        for await (const piece of readSource(src)) {
          if (options.signal?.aborted) throw new StorageAborted({ what: `hashing ${what}` })
          builder.update(piece)
          options.onProgress?.({ phase: "hash", bytes: builder.size, totalBytes })
        }
      },
      catch: (cause) => (cause instanceof StorageAborted ? cause : new SourceReadError({ what, cause })),
    })
    return yield* finishBuilder(builder, what)
  })
}

export type { FileMerkle, SubmissionNode } from "./builder.js"
export { fullSegmentRoot, MerkleBuilder } from "./builder.js"
export { type Keccak, loadKeccak } from "./keccak.js"
export {
  decompose,
  type FileLayout,
  fileLayout,
  nextPow2,
  paddedChunkCount,
  segmentChunkRange,
  segmentPaddedChunks,
  segmentWireLength,
  submissionSectors,
} from "./layout.js"
export {
  checkProof,
  checkSegment,
  type MerkleProof,
  type MerkleProofJson,
  proofFromJson,
  proofToJson,
  SegmentTree,
} from "./proof.js"
export { type ByteSource, readSource, sourceSize } from "./source.js"
export { foldRight, MerkleAccumulator, ZeroRoots } from "./tree.js"
