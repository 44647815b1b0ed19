/**
 * The emulated provider's chain side: the provider wallet's transactions (service URL update, `addDeliverable`,
 * `settleFees`), serialised so nonces never race, and the TEE key's EIP-712 `VerifierMessage` signature.
 */

import { type FineTuningServingContract, type FineTuningServingTypes, fineTuningServing } from "@0g-compute/contracts"
import { minedReceipt } from "@0g-compute/contracts/node"
import { makeRpcProvider } from "@0g-compute/core"
import { signTypedData, verifierMessageTypedData } from "@0g-compute/crypto"
import { Effect, Redacted, Result } from "effect"
import { type ContractTransactionResponse, NonceManager, Wallet } from "ethers"

export interface SettlementInput {
  readonly user: string
  readonly id: string
  readonly modelRootHash: string
  /** Empty for a penalty settlement. */
  readonly encryptedSecret: string
  readonly nonce: bigint
  readonly taskFee: bigint
}

export interface SettlementOutcome {
  readonly txHash: string
  readonly acknowledged: boolean
  /** What the contract charged (FeesSettled.fee). */
  readonly fee: bigint
}

export class ProviderChain {
  readonly provider: ReturnType<typeof makeRpcProvider>
  readonly wallet: Wallet
  readonly tee: Wallet
  readonly contract: FineTuningServingContract
  private readonly sender: NonceManager
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    rpcUrl: string,
    readonly contractAddress: string,
    providerKey: Redacted.Redacted<string>,
    teeKey: Redacted.Redacted<string>,
  ) {
    this.provider = makeRpcProvider(rpcUrl)
    this.wallet = new Wallet(Redacted.value(providerKey), this.provider)
    this.tee = new Wallet(Redacted.value(teeKey))
    this.sender = new NonceManager(this.wallet)
    this.contract = fineTuningServing(contractAddress, this.sender)
  }

  /** One transaction at a time from the provider wallet; waits for the receipt. */
  private send(f: (c: FineTuningServingContract) => Promise<ContractTransactionResponse>) {
    const run = this.queue.then(async () => {
      try {
        return await minedReceipt(f(this.contract))
      } catch (e) {
        this.sender.reset() // a failed send may have consumed no nonce
        throw e
      }
    })
    this.queue = run.catch(() => undefined)
    return run
  }

  /** Runs `f` (which may send transactions from the provider wallet itself) between our own transactions. */
  exclusive<A>(f: () => Promise<A>): Promise<A> {
    const run = this.queue.then(f).finally(() => this.sender.reset())
    this.queue = run.catch(() => undefined)
    return run
  }

  /** Re-registers the service with the emulator's real URL (and its model list); the stake is already recorded. */
  async updateService(url: string, models: ReadonlyArray<string>) {
    const s = await this.contract.getService(this.wallet.address)
    const quota = {
      cpuCount: s.quota.cpuCount,
      nodeMemory: s.quota.nodeMemory,
      gpuCount: s.quota.gpuCount,
      nodeStorage: s.quota.nodeStorage,
      gpuType: s.quota.gpuType,
    }
    await this.send((c) => c.addOrUpdateService(url, quota, s.pricePerToken, false, models, s.teeSignerAddress))
  }

  service(): Promise<FineTuningServingTypes.Service> {
    return this.contract.getService(this.wallet.address)
  }

  account(user: string): Promise<FineTuningServingTypes.AccountDetails> {
    return this.contract.getAccount(user, this.wallet.address)
  }

  deliverable(user: string, id: string): Promise<FineTuningServingTypes.Deliverable> {
    return this.contract.getDeliverable(user, this.wallet.address, id)
  }

  async addDeliverable(user: string, id: string, modelRootHash: string) {
    return (await this.send((c) => c.addDeliverable(user, id, modelRootHash))).hash
  }

  async abandonDeliverable(user: string, id: string) {
    return (await this.send((c) => c.abandonDeliverable(user, id))).hash
  }

  /** `settleFees` with the TEE key's EIP-712 signature over the exact VerifierInput fields. */
  async settle(input: SettlementInput): Promise<SettlementOutcome> {
    const { chainId } = await this.provider.getNetwork()
    const payload = Result.getOrThrow(
      verifierMessageTypedData({ chainId, verifyingContract: this.contractAddress, ...input }),
    )
    const signature = await Effect.runPromise(signTypedData(this.tee, payload))
    const receipt = await this.send((c) => c.settleFees({ ...input, signature }))
    const topic = this.contract.interface.getEvent("FeesSettled")?.topicHash
    const log = receipt.logs.find((l) => l.topics[0] === topic)
    const parsed = log === undefined ? null : this.contract.interface.parseLog(log)
    return {
      txHash: receipt.hash,
      acknowledged: Boolean(parsed?.args.getValue("acknowledged")),
      fee: BigInt(parsed?.args.getValue("fee") ?? 0n),
    }
  }

  close() {
    this.provider.destroy()
  }
}
