/**
 * Segment proofs (spec storage-protocol.md §4.3): the promote-odd tree over segment roots, lemma =
 * [leaf, siblings bottom → top, root], path[i] = true when the running node is the LEFT child.
 */
import { bytesEqual, fromHex, toHex } from "../bytes.js"
import { HASH_SIZE } from "../constants.js"
import type { Keccak } from "./keccak.js"
import { type FileLayout, nextPow2, segmentPaddedChunks, segmentWireLength } from "./layout.js"

export interface MerkleProof {
  readonly lemma: ReadonlyArray<Uint8Array>
  readonly path: ReadonlyArray<boolean>
}

/** Wire form used by the node JSON-RPC. */
export interface MerkleProofJson {
  readonly lemma: ReadonlyArray<string>
  readonly path: ReadonlyArray<boolean>
}

export const proofToJson = (p: MerkleProof): MerkleProofJson => ({ lemma: p.lemma.map(toHex), path: [...p.path] })

/** Parses a wire proof; undefined when a lemma entry is not a 32-byte hex digest. */
export const proofFromJson = (p: MerkleProofJson): MerkleProof | undefined => {
  const lemma: Uint8Array[] = []
  for (const h of p.lemma) {
    const b = fromHex(h, HASH_SIZE)
    if (!b) return undefined
    lemma.push(b)
  }
  return { lemma, path: [...p.path] }
}

/** All levels of the promote-odd tree over segment roots, for proofs of any index. */
export class SegmentTree {
  private readonly levels: Uint8Array[][]
  constructor(keccak: Keccak, leaves: ReadonlyArray<Uint8Array>) {
    if (leaves.length === 0) throw new Error("a segment tree needs at least one leaf")
    this.levels = [leaves.slice()]
    let level = leaves
    while (level.length > 1) {
      const next: Uint8Array[] = []
      for (let i = 0; i + 1 < level.length; i += 2)
        next.push(keccak.pair(level[i] as Uint8Array, level[i + 1] as Uint8Array))
      if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array)
      this.levels.push(next)
      level = next
    }
  }

  get leafCount(): number {
    return (this.levels[0] as Uint8Array[]).length
  }

  get root(): Uint8Array {
    return (this.levels[this.levels.length - 1] as Uint8Array[])[0] as Uint8Array
  }

  proof(index: number): MerkleProof {
    if (!Number.isInteger(index) || index < 0 || index >= this.leafCount) throw new RangeError(`no leaf ${index}`)
    const lemma: Uint8Array[] = [(this.levels[0] as Uint8Array[])[index] as Uint8Array]
    const path: boolean[] = []
    let i = index
    for (let l = 0; l + 1 < this.levels.length; l++) {
      const level = this.levels[l] as Uint8Array[]
      if (i % 2 === 1) {
        lemma.push(level[i - 1] as Uint8Array)
        path.push(false)
      } else if (i + 1 < level.length) {
        lemma.push(level[i + 1] as Uint8Array)
        path.push(true)
      }
      i >>= 1
    }
    if (path.length > 0) lemma.push(this.root)
    return { lemma, path }
  }
}

/** Checks a proof's shape, position and hashes. Returns undefined when valid, else the reason. */
export const checkProof = (
  keccak: Keccak,
  proof: MerkleProof,
  expected: {
    readonly leaf: Uint8Array
    readonly root: Uint8Array
    readonly index: number
    readonly leafCount: number
  },
): string | undefined => {
  const { lemma, path } = proof
  const single = path.length === 0
  if (single ? lemma.length !== 1 : lemma.length !== path.length + 2) return "invalid proof format"
  if (!bytesEqual(lemma[0] as Uint8Array, expected.leaf)) return "proof leaf does not match the data"
  if (!bytesEqual(lemma[lemma.length - 1] as Uint8Array, expected.root)) return "proof root does not match"
  let n = expected.leafCount
  let position = 0
  for (let k = path.length - 1; k >= 0; k--) {
    if (n <= 1) return "proof is longer than the tree"
    const left = nextPow2(n) / 2
    if (path[k]) n = left
    else {
      position += left
      n -= left
    }
  }
  if (n !== 1 || position !== expected.index) return "proof position mismatch"
  let running = lemma[0] as Uint8Array
  for (let k = 0; k < path.length; k++) {
    const sibling = lemma[k + 1] as Uint8Array
    running = path[k] ? keccak.pair(running, sibling) : keccak.pair(sibling, running)
  }
  return bytesEqual(running, expected.root) ? undefined : "proof does not hash to the root"
}

/**
 * Verifies a downloaded/uploaded data segment: exact wire length, segment root recomputed from the data extended to
 * its flow-padded length, and the proof at `index` in a tree of `numSegmentsPadded` leaves under `root`.
 */
export const checkSegment = (
  keccak: Keccak,
  layout: FileLayout,
  segment: {
    readonly index: number
    readonly data: Uint8Array
    readonly proof: MerkleProof
    readonly root: Uint8Array
  },
): string | undefined => {
  const { index, data } = segment
  if (!Number.isInteger(index) || index < 0 || index >= layout.numSegments) return "index out of bound"
  if (data.length !== segmentWireLength(layout, index)) return "invalid data length"
  const padded = segmentPaddedChunks(layout, index)
  const leaf = keccak.chunkTreeRoot(data, padded)
  return checkProof(keccak, segment.proof, {
    leaf,
    root: segment.root,
    index,
    leafCount: layout.numSegmentsPadded,
  })
}
