/**
 * User-signed fine-tuning messages (fine-tuning-protocol.md §5). All share one scheme:
 * `signature = personal_sign(keccak256(preimage))`, EIP-191 over the 32-byte hash.
 * The create-task signature also serves the provider as the source of the user's ECIES public key.
 */
import { type InvalidAddress, MalformedData, parseAddressResult } from "@0g-compute/core"
import { keccak_256 } from "@noble/hashes/sha3.js"
import { Clock, Effect, Result } from "effect"
import { type Signer, solidityPacked } from "ethers"
import { type BytesLike, parseBytes, toHex, utf8 } from "./bytes.js"
import { type MalformedSignature, type SignerMismatch, type SigningFailed, TimestampOutOfWindow } from "./errors.js"
import {
  expectSigner,
  personalDigest,
  recoverPublicKeyFromDigest,
  recoverSigner,
  signerAddress,
  signPersonal,
} from "./signature.js"

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/
const UINT256_MAX = (1n << 256n) - 1n

/** Lower-case hex of a task UUID without dashes (32 chars). */
export const taskIdHex = (taskId: string): Result.Result<string, MalformedData> =>
  UUID.test(taskId)
    ? Result.succeed(taskId.replaceAll("-", "").toLowerCase())
    : Result.fail(new MalformedData({ what: "task id", detail: `${JSON.stringify(taskId)} is not a UUID` }))

/** `solidityPacked(['address','uint256','string'], [user, nonce, datasetHash])`; datasetHash exactly as sent. */
export const createTaskPreimage = (params: {
  readonly userAddress: string
  readonly nonce: bigint
  readonly datasetHash: string
}): Result.Result<Uint8Array, InvalidAddress | MalformedData> =>
  Result.flatMap(parseAddressResult(params.userAddress), (user) =>
    params.nonce < 0n || params.nonce > UINT256_MAX
      ? Result.fail(new MalformedData({ what: "task nonce", detail: "must fit in uint256" }))
      : parseBytes(
          "create-task preimage",
          solidityPacked(["address", "uint256", "string"], [user, params.nonce, params.datasetHash]),
        ),
  )

/** The 16 raw bytes of the task UUID. */
export const cancelTaskPreimage = (taskId: string): Result.Result<Uint8Array, MalformedData> =>
  Result.flatMap(taskIdHex(taskId), (hex) => parseBytes("task id", `0x${hex}`))

/** `utf8(userAddress + decimal(timestamp))`, the address spelled exactly as in the upload URL. */
export const datasetUploadPreimage = (userAddress: string, timestampSeconds: number): Uint8Array =>
  utf8(`${userAddress}${timestampSeconds}`)

/** `utf8(lowercase UUID hex without dashes + decimal(timestamp))`. */
export const modelDownloadPreimage = (
  taskId: string,
  timestampSeconds: number,
): Result.Result<Uint8Array, MalformedData> => Result.map(taskIdHex(taskId), (hex) => utf8(`${hex}${timestampSeconds}`))

/** keccak256(preimage) as 0x-hex: the 32-byte message that gets personal-signed. */
export const fineTuningMessageHash = (preimage: Uint8Array): string => toHex(keccak_256(preimage))

/** The EIP-191 digest the signature covers. */
export const fineTuningMessageDigest = (preimage: Uint8Array): string => personalDigest(keccak_256(preimage))

/** personal_sign(keccak256(preimage)) with any ethers Signer. */
export const signFineTuningMessage = (
  signer: Signer,
  preimage: Uint8Array,
  what = "fine-tuning message",
): Effect.Effect<string, SigningFailed> => signPersonal(signer, what, keccak_256(preimage))

export interface RecoveredFineTuningSigner {
  /** EIP-55 address. */
  readonly address: string
  /** Uncompressed secp256k1 public key 0x04 ‖ X ‖ Y: the recipient key for ECIES (§8). */
  readonly publicKey: string
}

/** Recovers both the address and the public key, as the provider does with the create-task signature. */
export const recoverFineTuningSigner = (
  preimage: Uint8Array,
  signature: BytesLike,
): Result.Result<RecoveredFineTuningSigner, MalformedSignature> => {
  const digest = fineTuningMessageDigest(preimage)
  return Result.flatMap(recoverSigner("fine-tuning message", digest, signature), (address) =>
    Result.map(recoverPublicKeyFromDigest("fine-tuning message", digest, signature), (publicKey) => ({
      address,
      publicKey,
    })),
  )
}

/** Requires the signature over `preimage` to come from `expectedSigner`. */
export const verifyFineTuningMessage = (
  preimage: Uint8Array,
  signature: BytesLike,
  expectedSigner: string,
): Result.Result<RecoveredFineTuningSigner, MalformedSignature | SignerMismatch> =>
  Result.flatMap(recoverFineTuningSigner(preimage, signature), (r) =>
    Result.map(expectSigner("fine-tuning message", r.address, expectedSigner), () => r),
  )

/** The official SDK's nonce scheme, `Date.now() × 10000 + 40`, as bigint (it exceeds 2^53). */
export const taskNonceFromTime = (nowMs: number): bigint => BigInt(Math.floor(nowMs)) * 10_000n + 40n

export interface SignedCreateTask {
  readonly userAddress: string
  readonly nonce: bigint
  readonly datasetHash: string
  readonly signature: string
}

/** Signs the create-task message. `nonce` defaults to the time-based scheme from the Effect `Clock`. */
export const signCreateTask = (
  signer: Signer,
  params: { readonly datasetHash: string; readonly nonce?: bigint },
): Effect.Effect<SignedCreateTask, InvalidAddress | MalformedData | SigningFailed> =>
  Effect.gen(function* () {
    const userAddress = yield* signerAddress(signer, "create-task message")
    const nonce = params.nonce ?? taskNonceFromTime(yield* Clock.currentTimeMillis)
    const preimage = yield* Effect.fromResult(
      createTaskPreimage({ userAddress, nonce, datasetHash: params.datasetHash }),
    )
    const signature = yield* signFineTuningMessage(signer, preimage, "create-task message")
    return { userAddress, nonce, datasetHash: params.datasetHash, signature }
  })

export const signCancelTask = (signer: Signer, taskId: string): Effect.Effect<string, MalformedData | SigningFailed> =>
  Effect.flatMap(Effect.fromResult(cancelTaskPreimage(taskId)), (p) =>
    signFineTuningMessage(signer, p, "cancel-task message"),
  )

export interface SignedTimestamp {
  readonly timestamp: number
  readonly signature: string
}

const nowSeconds = Effect.map(Clock.currentTimeMillis, (ms) => Math.floor(ms / 1000))

/**
 * Signs a dataset upload. `userAddress` must be spelled as in the URL; default: the signer's EIP-55 address.
 * Sign right before sending, and again on every retry: the provider accepts a short window only.
 */
export const signDatasetUpload = (
  signer: Signer,
  params: { readonly userAddress?: string; readonly timestamp?: number } = {},
): Effect.Effect<SignedTimestamp & { readonly userAddress: string }, SigningFailed> =>
  Effect.gen(function* () {
    const userAddress = params.userAddress ?? (yield* signerAddress(signer, "dataset-upload message"))
    const timestamp = params.timestamp ?? (yield* nowSeconds)
    const signature = yield* signFineTuningMessage(
      signer,
      datasetUploadPreimage(userAddress, timestamp),
      "dataset-upload message",
    )
    return { userAddress, timestamp, signature }
  })

/** Signs a model (LoRA) download request for a task. Re-sign on every attempt. */
export const signModelDownload = (
  signer: Signer,
  params: { readonly taskId: string; readonly timestamp?: number },
): Effect.Effect<SignedTimestamp, MalformedData | SigningFailed> =>
  Effect.gen(function* () {
    const timestamp = params.timestamp ?? (yield* nowSeconds)
    const preimage = yield* Effect.fromResult(modelDownloadPreimage(params.taskId, timestamp))
    const signature = yield* signFineTuningMessage(signer, preimage, "model-download message")
    return { timestamp, signature }
  })

export interface TimestampWindow {
  /** Seconds a timestamp may lie in the past; default 300. */
  readonly pastSeconds?: number
  /** Seconds a timestamp may lie in the future (clock skew); default 60. */
  readonly futureSeconds?: number
  /** Now in unix seconds; default: the Effect `Clock`. */
  readonly now?: number
}

/** The provider's freshness rule for upload/download signatures: now − 300 s ≤ timestamp ≤ now + 60 s. */
export const checkTimestampWindow = (
  timestampSeconds: number,
  window: TimestampWindow = {},
): Effect.Effect<void, TimestampOutOfWindow> =>
  Effect.gen(function* () {
    const now = window.now ?? (yield* nowSeconds)
    const earliest = now - (window.pastSeconds ?? 300)
    const latest = now + (window.futureSeconds ?? 60)
    if (timestampSeconds < earliest || timestampSeconds > latest) {
      return yield* new TimestampOutOfWindow({ timestamp: timestampSeconds, now, earliest, latest })
    }
  })
