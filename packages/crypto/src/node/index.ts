/** @0g-compute/crypto/node — Node-only streaming file operations (flat memory, atomic outputs). */
import { promised } from "../facade.js"
import { keccak256File } from "./keccak-file.js"
import { decryptModelFile, encryptModelFile } from "./model-file.js"

export * from "./keccak-file.js"
export * from "./model-file.js"

export const cryptoNodePromises = {
  decryptModelFile: promised(decryptModelFile),
  encryptModelFile: promised(encryptModelFile),
  keccak256File: promised(keccak256File),
} as const
