/**
 * @0g-compute/crypto — browser-safe entry. Session tokens, EIP-712 settlement payloads, response-signature
 * verification, fine-tuning signed messages, ECIES key wrapping, the encrypted model format (in memory) and
 * streaming keccak. Node file streaming lives in `@0g-compute/crypto/node`.
 */
export type { AesGcmBackend } from "./aes-gcm.js"
export { type BytesLike, concatBytes, toHex } from "./bytes.js"
export * from "./ecies.js"
export * from "./eip712.js"
export * from "./errors.js"
export * from "./facade.js"
export * from "./fine-tuning-messages.js"
export * from "./keccak.js"
export * from "./model-file.js"
export {
  chunkIv,
  GCM_TAG_LENGTH,
  IV_LENGTH,
  MODEL_CHUNK_SIZE,
  MODEL_HEADER_LENGTH,
  type ModelCodecOptions,
  type ModelFileLayout,
  type ModelProgress,
  modelChunkCount,
  modelFileLayout,
  modelFileLength,
  modelTagsDigest,
  signModelTags,
  TAG_SIGNATURE_LENGTH,
  verifyModelTagSignature,
} from "./model-format.js"
export * from "./response.js"
export * from "./service.js"
export * from "./session-token.js"
export {
  expectSigner,
  parseSignature,
  personalDigest,
  recoverPublicKeyFromDigest,
  recoverSigner,
} from "./signature.js"
