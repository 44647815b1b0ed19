/**
 * EIP-712 settlement payloads (contracts.md §8.3): `TEESettlement` (InferenceServing) and `VerifierMessage`
 * (FineTuningServing). Both are signed by the provider's TEE key; the domain is bound to the serving **proxy**.
 */
import { type InvalidAddress, type MalformedData, parseAddressResult } from "@0g-compute/core"
import { keccak_256 } from "@noble/hashes/sha3.js"
import { Effect, Result } from "effect"
import { type Signer, type TypedDataDomain, TypedDataEncoder, type TypedDataField } from "ethers"
import { type BytesLike, parseBytes, toHex, utf8 } from "./bytes.js"
import { type MalformedSignature, type SignerMismatch, SigningFailed } from "./errors.js"
import { expectSigner, recoverSigner } from "./signature.js"

export const INFERENCE_DOMAIN_NAME = "0G Inference Serving"
export const FINE_TUNING_DOMAIN_NAME = "0G Fine-Tuning Serving"
export const DOMAIN_VERSION = "1"

// The field order here is the signed order; it differs from the Solidity struct order on purpose (§8.3).
export const TEE_SETTLEMENT_TYPES: Record<string, Array<TypedDataField>> = {
  TEESettlement: [
    { name: "requestsHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "provider", type: "address" },
    { name: "user", type: "address" },
    { name: "totalFee", type: "uint256" },
  ],
}

export const VERIFIER_MESSAGE_TYPES: Record<string, Array<TypedDataField>> = {
  VerifierMessage: [
    { name: "id", type: "string" },
    { name: "encryptedSecret", type: "bytes" },
    { name: "modelRootHash", type: "bytes" },
    { name: "nonce", type: "uint256" },
    { name: "taskFee", type: "uint256" },
    { name: "user", type: "address" },
  ],
}

/** A complete typed-data payload, ready for `signTypedData` / `eth_signTypedData_v4`. */
export interface TypedDataPayload<M extends Record<string, unknown>> {
  readonly domain: TypedDataDomain
  readonly types: Record<string, Array<TypedDataField>>
  readonly primaryType: string
  readonly message: M
}

export interface DomainParams {
  readonly chainId: bigint | number
  /** The serving contract's proxy address. */
  readonly verifyingContract: string
}

export interface TeeSettlementMessage extends Record<string, unknown> {
  readonly requestsHash: string
  readonly nonce: bigint
  readonly provider: string
  readonly user: string
  readonly totalFee: bigint
}

export interface VerifierMessage extends Record<string, unknown> {
  readonly id: string
  readonly encryptedSecret: string
  readonly modelRootHash: string
  readonly nonce: bigint
  readonly taskFee: bigint
  readonly user: string
}

/** A payload under the named domain; the verifying contract is checked before the message's fields. */
const payload = <M extends Record<string, unknown>, E>(
  name: string,
  params: DomainParams,
  types: Record<string, Array<TypedDataField>>,
  primaryType: string,
  message: () => Result.Result<M, E>,
): Result.Result<TypedDataPayload<M>, InvalidAddress | E> =>
  Result.gen(function* () {
    const verifyingContract = yield* parseAddressResult(params.verifyingContract)
    const domain = { name, version: DOMAIN_VERSION, chainId: BigInt(params.chainId), verifyingContract }
    return { domain, types, primaryType, message: yield* message() }
  })

/** Inference settlement payload. Addresses come out EIP-55, `requestsHash` must be 32 bytes. */
export const teeSettlementTypedData = (
  params: DomainParams & {
    readonly requestsHash: BytesLike
    readonly nonce: bigint
    readonly provider: string
    readonly user: string
    readonly totalFee: bigint
  },
): Result.Result<TypedDataPayload<TeeSettlementMessage>, InvalidAddress | MalformedData> =>
  payload(INFERENCE_DOMAIN_NAME, params, TEE_SETTLEMENT_TYPES, "TEESettlement", () =>
    Result.gen(function* () {
      return {
        requestsHash: toHex(yield* parseBytes("requestsHash", params.requestsHash, 32)),
        nonce: params.nonce,
        provider: yield* parseAddressResult(params.provider),
        user: yield* parseAddressResult(params.user),
        totalFee: params.totalFee,
      }
    }),
  )

/** Fine-tuning settlement payload. `encryptedSecret` is empty for a penalty settlement. */
export const verifierMessageTypedData = (
  params: DomainParams & {
    readonly id: string
    readonly encryptedSecret: BytesLike
    readonly modelRootHash: BytesLike
    readonly nonce: bigint
    readonly taskFee: bigint
    readonly user: string
  },
): Result.Result<TypedDataPayload<VerifierMessage>, InvalidAddress | MalformedData> =>
  payload(FINE_TUNING_DOMAIN_NAME, params, VERIFIER_MESSAGE_TYPES, "VerifierMessage", () =>
    Result.gen(function* () {
      return {
        id: params.id,
        encryptedSecret: toHex(yield* parseBytes("encryptedSecret", params.encryptedSecret)),
        modelRootHash: toHex(yield* parseBytes("modelRootHash", params.modelRootHash)),
        nonce: params.nonce,
        taskFee: params.taskFee,
        user: yield* parseAddressResult(params.user),
      }
    }),
  )

/** keccak256(0x1901 ‖ domainSeparator ‖ structHash). */
export const typedDataDigest = (p: TypedDataPayload<Record<string, unknown>>): string =>
  TypedDataEncoder.hash(p.domain, p.types, p.message)

export const typedDataDomainSeparator = (p: TypedDataPayload<Record<string, unknown>>): string =>
  TypedDataEncoder.hashDomain(p.domain)

export const typedDataStructHash = (p: TypedDataPayload<Record<string, unknown>>): string =>
  TypedDataEncoder.from(p.types).hashStruct(p.primaryType, p.message)

/** Signs with any ethers Signer (`signTypedData`, i.e. eth_signTypedData_v4). */
export const signTypedData = (
  signer: Signer,
  p: TypedDataPayload<Record<string, unknown>>,
): Effect.Effect<string, SigningFailed> =>
  Effect.tryPromise({
    try: () => signer.signTypedData(p.domain, p.types, p.message),
    catch: (cause) => new SigningFailed({ what: `${p.primaryType} typed data`, cause }),
  })

export const recoverTypedDataSigner = (
  p: TypedDataPayload<Record<string, unknown>>,
  signature: BytesLike,
): Result.Result<string, MalformedSignature> => recoverSigner(p.primaryType, typedDataDigest(p), signature)

/** Recovers the signer and requires it to be `expectedSigner` (the service's `teeSignerAddress`). */
export const verifyTypedDataSignature = (
  p: TypedDataPayload<Record<string, unknown>>,
  signature: BytesLike,
  expectedSigner: string,
): Result.Result<string, MalformedSignature | SignerMismatch> =>
  Result.flatMap(recoverTypedDataSigner(p, signature), (recovered) =>
    expectSigner(p.primaryType, recovered, expectedSigner),
  )

/** One settled request as the broker stores it; amounts in neuron. */
export interface SettledRequest {
  readonly requestHash: string
  /** Spelled exactly as the broker recorded it. */
  readonly userAddress: string
  readonly fee: bigint | string
  readonly inputFee: bigint | string
  readonly outputFee: bigint | string
}

/**
 * The broker's `requestsHash`: keccak256 over the concatenated UTF-8 of
 * `requestHash ‖ userAddress ‖ fee ‖ inputFee ‖ outputFee` for each request in order (decimal, no separators).
 */
export const requestsHash = (requests: ReadonlyArray<SettledRequest>): string => {
  const h = keccak_256.create()
  for (const r of requests) {
    h.update(
      utf8(`${r.requestHash}${r.userAddress}${r.fee.toString()}${r.inputFee.toString()}${r.outputFee.toString()}`),
    )
  }
  return toHex(h.digest())
}
