/**
 * @0g-compute/crypto — browser-safe entry. Session tokens, EIP-712 settlement payloads, response-signature
 * verification, fine-tuning signed messages, ECIES key wrapping, the encrypted model format (in memory) and
 * streaming keccak. Node file streaming lives in `@0g-compute/crypto/node`.
 *
 * Pure checks (parsing, recovery, verification against an expected signer) return a `Result`; anything that signs
 * through an ethers Signer, reads the Clock or runs WebCrypto returns an `Effect`.
 */
export type { AesGcmBackend } from "./aes-gcm.js"
export { type BytesLike, concatBytes, toHex } from "./bytes.js"
export { ENCRYPTED_SECRET_LENGTH, parsePublicKey, unwrapSecret, type WrapSecretOptions, wrapSecret } from "./ecies.js"
export {
  DOMAIN_VERSION,
  type DomainParams,
  FINE_TUNING_DOMAIN_NAME,
  INFERENCE_DOMAIN_NAME,
  recoverTypedDataSigner,
  requestsHash,
  type SettledRequest,
  signTypedData,
  TEE_SETTLEMENT_TYPES,
  type TeeSettlementMessage,
  type TypedDataPayload,
  teeSettlementTypedData,
  typedDataDigest,
  typedDataDomainSeparator,
  typedDataStructHash,
  VERIFIER_MESSAGE_TYPES,
  type VerifierMessage,
  verifierMessageTypedData,
  verifyTypedDataSignature,
} from "./eip712.js"
export {
  InvalidAesKey,
  InvalidPublicKey,
  InvalidSessionTokenParams,
  MalformedEncryptedSecret,
  MalformedSessionToken,
  MalformedSignature,
  MalformedSignedText,
  ModelChunkCorrupted,
  ModelFileIoError,
  ModelFileTruncated,
  ModelKeyMismatch,
  ModelTagSignatureMismatch,
  RequestHashMismatch,
  ResponseHashMismatch,
  SecretUnwrapFailed,
  SessionTokenExpired,
  SessionTokenGenerationAhead,
  SessionTokenRevoked,
  SessionTokenWrongProvider,
  SignatureMissing,
  SignerMismatch,
  SigningFailed,
  TimestampOutOfWindow,
} from "./errors.js"
export {
  cancelTaskPreimage,
  checkTimestampWindow,
  createTaskPreimage,
  datasetUploadPreimage,
  fineTuningMessageDigest,
  fineTuningMessageHash,
  modelDownloadPreimage,
  type RecoveredFineTuningSigner,
  recoverFineTuningSigner,
  type SignedCreateTask,
  type SignedTimestamp,
  signCancelTask,
  signCreateTask,
  signDatasetUpload,
  signFineTuningMessage,
  signModelDownload,
  type TimestampWindow,
  taskNonceFromTime,
  verifyFineTuningMessage,
} from "./fine-tuning-messages.js"
export { type Keccak256Hasher, keccak256Chunks, keccak256Hasher, keccak256Stream } from "./keccak.js"
export {
  type DecryptModelError,
  type DecryptModelOptions,
  decryptModel,
  type EncryptModelError,
  type EncryptModelOptions,
  encryptModel,
  type ModelDecryption,
} from "./model-file.js"
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
export { quoteJsonField } from "./quote-json.js"
export {
  type BodyHasher,
  type BodyInput,
  bodyHasher,
  bodyHashHex,
  type ResponseBindingUnknown,
  type ResponseSignaturePayload,
  type ResponseVerdict,
  type ResponseVerified,
  type ResponseVerifyError,
  responseSignedText,
  type VerifyResponseParams,
  verifyResponseSignature,
} from "./response.js"
export {
  API_KEY_PREFIX,
  type CreateSessionTokenParams,
  checkSessionToken,
  createSessionToken,
  EPHEMERAL_TOKEN_ID,
  issueSessionToken,
  MAX_EPHEMERAL_LIFETIME_MS,
  parseApiKey,
  type SessionToken,
  SessionTokenSchema,
  type SessionTokenVerifyError,
  type SignedSessionToken,
  serializeSessionToken,
  sessionTokenDigest,
  signSessionToken,
  type TokenAccountState,
  type VerifiedSessionToken,
  type VerifySessionTokenOptions,
  verifySessionToken,
} from "./session-token.js"
export {
  expectSigner,
  parseSignature,
  personalDigest,
  recoverPublicKeyFromDigest,
  recoverSigner,
} from "./signature.js"
