/**
 * The 0G merkle tree (spec storage-protocol.md §1.3): keccak leaves over 256-byte chunks, parents keccak(l ‖ r),
 * an unpaired last node promoted unchanged. For n leaves the root is the right fold of the complete-subtree roots of
 * n's binary decomposition, which is what {@link MerkleAccumulator} keeps while streaming.
 */
import { CHUNK_SIZE } from "../constants.js"
import type { Keccak } from "./keccak.js"

/** zeros(h): root of a complete tree of 2^h zero chunks, memoised per hasher. */
export class ZeroRoots {
  private readonly values: Uint8Array[]
  constructor(private readonly keccak: Keccak) {
    this.values = [keccak.digest(new Uint8Array(CHUNK_SIZE))]
  }
  get(height: number): Uint8Array {
    while (this.values.length <= height) {
      const prev = this.values[this.values.length - 1] as Uint8Array
      this.values.push(this.keccak.pair(prev, prev))
    }
    return this.values[height] as Uint8Array
  }
}

export interface Subtree {
  readonly height: number
  readonly root: Uint8Array
}

/**
 * Appends aligned complete subtrees left to right and keeps the binary-counter stack of complete subtree roots.
 * When the leaf count is P, the stack is exactly the submission node list for P chunks.
 */
export class MerkleAccumulator {
  private readonly stack: Subtree[] = []
  /** Leaves appended so far. */
  count = 0
  constructor(
    private readonly keccak: Keccak,
    private readonly zeros: ZeroRoots,
  ) {}

  /** Appends a complete subtree of 2^height leaves; `count` must be a multiple of 2^height. */
  push(height: number, root: Uint8Array): void {
    const size = 2 ** height
    if (this.count % size !== 0) throw new Error(`unaligned subtree of height ${height} at leaf ${this.count}`)
    let node: Subtree = { height, root }
    for (;;) {
      const top = this.stack[this.stack.length - 1]
      if (!top || top.height !== node.height) break
      this.stack.pop()
      node = { height: node.height + 1, root: this.keccak.pair(top.root, node.root) }
    }
    this.stack.push(node)
    this.count += size
  }

  /** Appends zero chunks up to `total` leaves, using zeros(h) for every aligned run. */
  padTo(total: number): void {
    while (this.count < total) {
      let h = 0
      while (this.count % 2 ** (h + 1) === 0 && this.count + 2 ** (h + 1) <= total) h++
      this.push(h, this.zeros.get(h))
    }
  }

  /** The complete subtrees, tallest first (the submission nodes once padded). */
  subtrees(): ReadonlyArray<Subtree> {
    return this.stack.slice()
  }

  /** Root of the promote-odd tree over the leaves so far: the right fold of the stack. */
  root(): Uint8Array {
    return foldRight(
      this.keccak,
      this.stack.map((s) => s.root),
    )
  }
}

/** r = last; r = keccak(roots[i] ‖ r) for i from last−1 down to 0. */
export const foldRight = (keccak: Keccak, roots: ReadonlyArray<Uint8Array>): Uint8Array => {
  let r = roots[roots.length - 1]
  if (!r) throw new Error("no roots to fold")
  for (let i = roots.length - 2; i >= 0; i--) r = keccak.pair(roots[i] as Uint8Array, r)
  return r
}
