/** A provider service a test changes on chain: its own fresh wallet, registered as a chatbot whose URL answers nothing. */
import { inferenceServing } from "@0g-compute/contracts"
import { minedReceipt } from "@0g-compute/contracts/node"
import { type JsonRpcProvider, parseEther, toQuantity, Wallet } from "ethers"
import type { Devnet } from "../devnet.js"
import { registerService } from "../inference/register.js"

export interface RepricableService {
  readonly address: string
  /** Registers the service at these prices (staking the first time), or updates them in place. */
  readonly publish: (inputPrice: bigint, outputPrice: bigint) => Promise<void>
  readonly remove: () => Promise<void>
}

export const repricableService = async (devnet: Devnet, rpc: JsonRpcProvider): Promise<RepricableService> => {
  const wallet = Wallet.createRandom().connect(rpc)
  await rpc.send("anvil_setBalance", [wallet.address, toQuantity(parseEther("1000"))]) // the stake is 100 0G
  const contract = inferenceServing(devnet.addresses.inference, wallet)
  return {
    address: wallet.address,
    publish: (inputPrice, outputPrice) =>
      registerService({
        contract,
        contractAddress: devnet.addresses.inference,
        provider: wallet.address,
        url: "http://127.0.0.1:9",
        model: "repriced-model",
        inputPrice,
        outputPrice,
        teeSigner: wallet.address,
      }),
    remove: async () => {
      await minedReceipt(contract.removeService())
    },
  }
}
