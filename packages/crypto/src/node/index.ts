/** @0g-compute/crypto/node — Node-only streaming file operations (flat memory, atomic outputs). */
export { type Keccak256FileOptions, keccak256File } from "./keccak-file.js"
export {
  type DecryptModelFileOptions,
  decryptModelFile,
  type EncryptModelFileOptions,
  encryptModelFile,
  type ModelFileProgressOption,
} from "./model-file.js"
