/** Regenerates the vector files' bytes (recipes of storage-vectors.json) piecewise, without holding the file. */
import { readFileSync } from "node:fs"

export type Recipe = "zeros" | "ones" | "mod251"

const BLOCK = 4 * 1024 * 1024
const pattern = (() => {
  const p = new Uint8Array(BLOCK + 251)
  for (let i = 0; i < p.length; i++) p[i] = i % 251
  return p
})()

/** Bytes [offset, offset + length) of a recipe file (a fresh copy). */
export const recipeBytes = (recipe: Recipe, offset: number, length: number): Uint8Array => {
  if (recipe === "zeros") return new Uint8Array(length)
  if (recipe === "ones") return new Uint8Array(length).fill(0xff)
  const out = new Uint8Array(length)
  for (let o = 0; o < length; o += BLOCK) {
    const n = Math.min(BLOCK, length - o)
    const s = (offset + o) % 251
    out.set(pattern.subarray(s, s + n), o)
  }
  return out
}

/** The whole recipe file as 4 MiB pieces. */
export async function* recipeStream(recipe: Recipe, size: number): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < size; o += BLOCK) yield recipeBytes(recipe, o, Math.min(BLOCK, size - o))
}

export interface VectorFile {
  readonly zeroSubtreeRoots: { readonly values: ReadonlyArray<string> }
  readonly vectors: ReadonlyArray<{
    readonly description: string
    readonly sizeBytes: number
    readonly contentRecipe: Recipe
    readonly contentSha256: string
    readonly rootHash: string | null
    readonly numChunks?: number
    readonly paddedChunks?: number
    readonly numSegments?: number
    readonly numSegmentsPadded?: number
    readonly submissionNodes?: ReadonlyArray<{ readonly height: number; readonly root: string }>
    readonly segmentProofs?: ReadonlyArray<{
      readonly index: number
      readonly segmentRoot: string
      readonly lemma: ReadonlyArray<string>
      readonly path: ReadonlyArray<boolean>
    }>
  }>
}

export const loadVectors = (): VectorFile =>
  JSON.parse(readFileSync(new URL("./storage-vectors.json", import.meta.url), "utf8"))
