/**
 * Registration of an emulated provider (inference-protocol.md §13): a staked TeeML chatbot service with valid
 * additionalInfo JSON, the TEE key as signer, the server's real URL, then the owner's acknowledgement.
 */
import { type InferenceServingContract, inferenceServing } from "@0g-compute/contracts"
import { minedReceipt } from "@0g-compute/contracts/node"
import { type ContractTransactionResponse, parseEther, type Signer } from "ethers"

/** `MIN_PROVIDER_STAKE`: 100 0G, paid on first registration only. */
export const DEVNET_PROVIDER_STAKE = parseEther("100")
export const DEVNET_INFERENCE_MODEL = "devnet-echo-1"

/** Valid `additionalInfo` for a TeeML service whose broker signs its own responses (§2). */
export const INFERENCE_ADDITIONAL_INFO = JSON.stringify({
  VerifierURL: "",
  TEEVerifier: "dstack",
  TargetSeparated: false,
  TargetTeeAddress: "",
  ImageName: "",
  ImageDigest: "",
})

export interface RegistrationParams {
  /** InferenceServing connected to the provider wallet. */
  readonly contract: InferenceServingContract
  readonly contractAddress: string
  readonly provider: string
  readonly url: string
  readonly model: string
  readonly inputPrice: bigint
  readonly outputPrice: bigint
  readonly teeSigner: string
  /** The contract owner, to acknowledge the TEE signer. */
  readonly acknowledgeWith?: Signer | undefined
  /** Default "TeeML" and {@link INFERENCE_ADDITIONAL_INFO} (the 2026 provider types set their own: broker2026.ts). */
  readonly verifiability?: string
  readonly additionalInfo?: string
  /** Default "chatbot". */
  readonly serviceType?: string
}

const mined = async (sent: Promise<ContractTransactionResponse>, what: string): Promise<void> => {
  await minedReceipt(sent, `${what} transaction`)
}

/** Registers the service, or updates it in place (no stake when it exists); then has the owner acknowledge it. */
export const registerService = async (p: RegistrationParams): Promise<void> => {
  const exists = await p.contract.serviceExists(p.provider)
  const params = {
    serviceType: p.serviceType ?? "chatbot",
    url: p.url.replace(/\/+$/, ""),
    model: p.model,
    verifiability: p.verifiability ?? "TeeML",
    inputPrice: p.inputPrice,
    outputPrice: p.outputPrice,
    additionalInfo: p.additionalInfo ?? INFERENCE_ADDITIONAL_INFO,
    teeSignerAddress: p.teeSigner,
  }
  const value = exists ? 0n : DEVNET_PROVIDER_STAKE
  // An update estimated in the second of the previous one leaves `updatedAt` as it is (a cheap SSTORE); mined a second
  // later it writes a new value and runs out of the bare estimate's gas. Headroom, as the TxEngine gives its sends.
  const gas = await p.contract.addOrUpdateService.estimateGas(params, { value })
  await mined(p.contract.addOrUpdateService(params, { value, gasLimit: gas + gas / 5n }), "addOrUpdateService")
  if (p.acknowledgeWith === undefined) return
  // A url or price update keeps the acknowledgement; any other change resets it (contracts.md §7).
  const service = await p.contract.getService(p.provider)
  if (service.teeSignerAcknowledged) return
  const owner = inferenceServing(p.contractAddress, p.acknowledgeWith)
  await mined(owner.acknowledgeTEESignerByOwner(p.provider), "acknowledgeTEESignerByOwner")
}
