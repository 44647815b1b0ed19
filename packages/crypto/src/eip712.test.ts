import type { Result } from "effect"
import { id, keccak256, TypedDataEncoder, toUtf8Bytes } from "ethers"
import { describe, expect, it } from "vitest"
import {
  recoverTypedDataSigner,
  requestsHash,
  signTypedData,
  type TypedDataPayload,
  teeSettlementTypedData,
  typedDataDigest,
  typedDataDomainSeparator,
  typedDataStructHash,
  verifierMessageTypedData,
  verifyTypedDataSignature,
} from "./eip712.js"
import { account, err, ok, run, vectors, wallet } from "./testing/vectors.js"

const inf = vectors.eip712.inferenceTEESettlement
const ft = vectors.eip712.fineTuningVerifierMessage

const inference = teeSettlementTypedData({
  chainId: inf.domain.chainId,
  verifyingContract: inf.domain.verifyingContract,
  requestsHash: inf.message.requestsHash,
  nonce: BigInt(inf.message.nonce),
  provider: inf.message.provider,
  user: inf.message.user,
  totalFee: BigInt(inf.message.totalFee),
})

const fineTuning = verifierMessageTypedData({
  chainId: BigInt(ft.domain.chainId),
  verifyingContract: ft.domain.verifyingContract,
  id: ft.message.id,
  encryptedSecret: ft.message.encryptedSecret,
  modelRootHash: ft.message.modelRootHash,
  nonce: BigInt(ft.message.nonce),
  taskFee: BigInt(ft.message.taskFee),
  user: ft.message.user,
})

type AnyPayload = Result.Result<TypedDataPayload<Record<string, unknown>>, unknown>
const cases: Array<[string, AnyPayload, typeof inf]> = [
  ["TEESettlement (contracts §8.3, inference)", inference, inf],
  ["VerifierMessage (contracts §8.3, fine-tuning)", fineTuning, ft],
]

describe.each(cases)("%s vector", (_name, payload, vec) => {
  it("matches typehash, domain separator, struct hash and digest", async () => {
    const p = ok(payload)
    expect(keccak256(toUtf8Bytes(TypedDataEncoder.from(p.types).encodeType(p.primaryType)))).toBe(vec.typehash)
    expect(p.types).toEqual(vec.types)
    expect(typedDataDomainSeparator(p)).toBe(vec.domainSeparator)
    expect(typedDataStructHash(p)).toBe(vec.structHash)
    expect(typedDataDigest(p)).toBe(vec.digest)
  })
  it("signs to the vector signature with an ethers Signer and recovers the TEE signer", async () => {
    const p = ok(payload)
    expect(await run(signTypedData(wallet(1), p))).toBe(vec.signature)
    expect(ok(recoverTypedDataSigner(p, vec.signature))).toBe(account(1).address)
    expect(ok(verifyTypedDataSignature(p, vec.signature, account(1).address.toLowerCase()))).toBe(account(1).address)
  })
  it("rejects the signature for another signer or an altered message", async () => {
    const p = ok(payload)
    const wrongSigner = err(verifyTypedDataSignature(p, vec.signature, account(0).address))
    expect(wrongSigner).toMatchObject({ _tag: "SignerMismatch", recovered: account(1).address })
    const altered = { ...p, message: { ...p.message, nonce: 2n } }
    expect(err(verifyTypedDataSignature(altered, vec.signature, account(1).address))._tag).toBe("SignerMismatch")
    expect(err(verifyTypedDataSignature(p, "0x1234", account(1).address))._tag).toBe("MalformedSignature")
  })
})

describe("typed data builders validate inputs", () => {
  it("requestsHash must be 32 bytes; addresses must be valid", async () => {
    const base = {
      chainId: 1,
      verifyingContract: inf.domain.verifyingContract,
      nonce: 1n,
      provider: account(2).address,
      user: account(0).address,
      totalFee: 1n,
    }
    expect(err(teeSettlementTypedData({ ...base, requestsHash: "0x1234" }))._tag).toBe("MalformedData")
    expect(err(teeSettlementTypedData({ ...base, requestsHash: id("x"), user: "0xnope" }))._tag).toBe("InvalidAddress")
  })
  it("an empty encryptedSecret (penalty settlement) is allowed", async () => {
    const p = ok(
      verifierMessageTypedData({
        chainId: 31337,
        verifyingContract: ft.domain.verifyingContract,
        id: "t",
        encryptedSecret: "0x",
        modelRootHash: "0xab",
        nonce: 1n,
        taskFee: 1n,
        user: account(0).address,
      }),
    )
    const sig = await run(signTypedData(wallet(1), p))
    expect(ok(recoverTypedDataSigner(p, sig))).toBe(account(1).address)
  })
})

describe("requestsHash (broker settlement)", () => {
  it("hashes requestHash ‖ userAddress ‖ fee ‖ inputFee ‖ outputFee in order, no separators", () => {
    const a = {
      requestHash: "0b6c7c8e-1111-4222-8333-444455556666",
      userAddress: account(0).address,
      fee: 30n,
      inputFee: "10",
      outputFee: 20n,
    }
    const b = {
      requestHash: "r2",
      userAddress: account(0).address.toLowerCase(),
      fee: "5",
      inputFee: 0n,
      outputFee: "5",
    }
    const expected = keccak256(toUtf8Bytes(`${a.requestHash}${a.userAddress}301020r2${b.userAddress}505`))
    expect(requestsHash([a, b])).toBe(expected)
    expect(requestsHash([b, a])).not.toBe(expected)
    expect(requestsHash([])).toBe(keccak256("0x"))
  })
  it("feeds the TEESettlement payload", async () => {
    const rh = requestsHash([
      { requestHash: "x", userAddress: account(0).address, fee: 1n, inputFee: 1n, outputFee: 0n },
    ])
    const p = ok(
      teeSettlementTypedData({
        chainId: 31337,
        verifyingContract: inf.domain.verifyingContract,
        requestsHash: rh,
        nonce: 5n,
        provider: account(2).address,
        user: account(0).address,
        totalFee: 1n,
      }),
    )
    expect(p.message.requestsHash).toBe(rh)
    const sig = await run(signTypedData(wallet(1), p))
    expect(ok(verifyTypedDataSignature(p, sig, account(1).address))).toBe(account(1).address)
  })
})
