/**
 * A provider that settles an acknowledged deliverable with a well-formed secret the task's own key cannot open (the
 * AES key wrapped for someone else). Decryption must say so, not tell the user to use "the private key of" the address they already
 * used. The emulator is frozen at Delivered so that the test settles in its place: the TEE signer signs the
 * VerifierMessage over the junk secret and the provider wallet sends `settleFees`, on the devnet's real contract.
 */
import { join } from "node:path"
import { fineTuningServing } from "@0g-compute/contracts"
import { minedReceipt } from "@0g-compute/contracts/node"
import { makeRpcProvider } from "@0g-compute/core"
import { signTypedData, verifierMessageTypedData, wrapSecret } from "@0g-compute/crypto"
import { devnetAccounts } from "@0g-compute/devnet"
import { Effect, Redacted, Result } from "effect"
import { hexlify, Wallet } from "ethers"
import { beforeAll, describe, expect, it } from "vitest"
import { failure, PROVIDER, type User, useHarness } from "../src/testing/harness.js"

describe("a released secret the task's key cannot open", () => {
  const h = useHarness()
  let user: User
  let taskId = ""
  let encryptedPath = ""

  /** Settles the acknowledged deliverable as the provider would, but with the secret wrapped for a stranger. */
  const settleWithJunk = async () => {
    const task = h.ft.task(taskId)
    const accounts = devnetAccounts()
    const rpc = makeRpcProvider(h.devnet.rpcUrl)
    try {
      const tee = new Wallet(Redacted.value(accounts.fineTuningSigner.privateKey))
      const input = {
        user: user.wallet.address,
        id: taskId,
        modelRootHash: task?.modelRootHash ?? "0x",
        encryptedSecret: hexlify(
          await Effect.runPromise(
            wrapSecret(Wallet.createRandom().signingKey.publicKey, Redacted.make(new Uint8Array(32).fill(7))),
          ),
        ),
        nonce: BigInt(task?.json.nonce ?? "0"),
        taskFee: BigInt(task?.json.fee ?? "0"),
      }
      const payload = Result.getOrThrow(
        verifierMessageTypedData({ chainId: 31337n, verifyingContract: h.devnet.addresses.fineTuning, ...input }),
      )
      const signature = await Effect.runPromise(signTypedData(tee, payload))
      const provider = new Wallet(Redacted.value(accounts.fineTuningProvider.privateKey), rpc)
      await minedReceipt(fineTuningServing(h.devnet.addresses.fineTuning, provider).settleFees({ ...input, signature }))
    } finally {
      rpc.destroy()
    }
  }

  beforeAll(async () => {
    ;({ user, taskId } = await h.userWithTask("junk.jsonl", { delivered: true }))
    h.ft.setFaults({ stall: "Delivered" }) // the emulator does not settle; the test does
    encryptedPath = (await user.client.acknowledgeModel(PROVIDER, taskId, { output: join(h.dir, "junk.enc") })).path
    await settleWithJunk()
  })

  it("is SecretUnusable naming the provider and the task, and no plaintext appears", async () => {
    expect((await user.client.getDeliverable(PROVIDER, taskId)).secretReleased).toBe(true)
    const before = await h.files()
    const output = join(h.dir, "junk.zip")
    const e = await failure(user.client.decryptModel(PROVIDER, taskId, { output, encryptedPath }))
    expect(e).toMatchObject({ _tag: "SecretUnusable", provider: PROVIDER, taskId, taskUser: user.wallet.address })
    expect(e.message).not.toContain("use the private key")
    expect(await h.files()).toEqual(before)
  })

  it("another wallet's key is still WrongDecryptionKey naming both addresses", async () => {
    const other = Wallet.createRandom()
    const e = await failure(
      user.client.decryptModel(PROVIDER, taskId, {
        output: join(h.dir, "other.zip"),
        encryptedPath,
        privateKey: Redacted.make(other.privateKey),
      }),
    )
    expect(e).toMatchObject({ _tag: "WrongDecryptionKey", keyAddress: other.address, taskUser: user.wallet.address })
  })
})
