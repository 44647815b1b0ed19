/**
 * `startDevnet()`: a local 0G compute network on one machine — anvil from npm, our contracts at the official
 * devnet addresses, registered inference and fine-tuning services, funded accounts.
 */
import { type ContractAddresses, makeRpcProvider } from "@0g-compute/core"
import { deployContracts, loadArtifact, startAnvil } from "@0g-compute/contracts/node"
import { Context, Effect, Layer, Redacted } from "effect"
import { Contract, NonceManager, parseEther, type TransactionResponse, Wallet } from "ethers"
import { type DevnetAccount, type DevnetAccounts, devnetAccounts } from "./accounts.js"

export interface DevnetOptions {
  /** Loopback port for the chain; a free one when omitted. */
  readonly port?: number
  /** Extra addresses to fund with `fundAmount` (the mnemonic's accounts are always funded). */
  readonly fund?: ReadonlyArray<string>
  /** Per-account balance in 0G (default 10000). */
  readonly balance?: number
  /** Register the default inference and fine-tuning services (default true). */
  readonly registerServices?: boolean
}

export interface RegisteredInferenceService {
  readonly provider: DevnetAccount
  readonly teeSigner: DevnetAccount
  readonly url: string
  readonly model: string
  readonly inputPrice: bigint
  readonly outputPrice: bigint
}

export interface RegisteredFineTuningService {
  readonly provider: DevnetAccount
  readonly teeSigner: DevnetAccount
  readonly url: string
  readonly pricePerToken: bigint
}

export interface DevnetInfo {
  readonly rpcUrl: string
  readonly port: number
  readonly chainId: bigint
  readonly addresses: ContractAddresses
  readonly accounts: DevnetAccounts
  readonly services: {
    readonly inference: ReadonlyArray<RegisteredInferenceService>
    readonly fineTuning: ReadonlyArray<RegisteredFineTuningService>
  }
}

export interface Devnet extends DevnetInfo {
  /** Stops the chain; idempotent. */
  readonly stop: () => Promise<void>
}

export const DEVNET_PROVIDER_STAKE = parseEther("100")
export const DEVNET_INFERENCE_MODEL = "devnet-echo-1"

/** Valid `additionalInfo` for a TeeML service whose broker signs its own responses. */
const INFERENCE_ADDITIONAL_INFO = JSON.stringify({
  VerifierURL: "",
  TEEVerifier: "dstack",
  TargetSeparated: false,
  TargetTeeAddress: "",
  ImageName: "",
  ImageDigest: "",
})

const mined = async (tx: Promise<TransactionResponse>) => {
  const sent = await tx
  const receipt = await sent.wait()
  if (receipt === null || receipt.status !== 1) throw new Error(`devnet setup transaction ${sent.hash} failed`)
  return receipt
}

export const startDevnet = async (options: DevnetOptions = {}): Promise<Devnet> => {
  const anvil = await startAnvil({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.balance === undefined ? {} : { balanceEth: options.balance }),
  })
  try {
    const deployed = await deployContracts({ rpcUrl: anvil.rpcUrl })
    const addresses: ContractAddresses = {
      ledger: deployed.ledger,
      inference: deployed.inference,
      fineTuning: deployed.fineTuning,
    }
    const accounts = devnetAccounts()
    const provider = makeRpcProvider(anvil.rpcUrl, BigInt(anvil.chainId))
    const balanceHex = `0x${parseEther(String(options.balance ?? 10000)).toString(16)}`
    for (const address of options.fund ?? []) await provider.send("anvil_setBalance", [address, balanceHex])

    const services =
      options.registerServices === false
        ? { inference: [], fineTuning: [] }
        : await registerServices(provider, addresses, accounts, anvil.port)
    provider.destroy()

    let stopped: Promise<void> | undefined
    return {
      rpcUrl: anvil.rpcUrl,
      port: anvil.port,
      chainId: BigInt(anvil.chainId),
      addresses,
      accounts,
      services,
      stop: () => {
        stopped ??= anvil.stop()
        return stopped as Promise<void>
      },
    }
  } catch (e) {
    await anvil.stop()
    throw e
  }
}

const signerOf = (account: DevnetAccount, provider: ReturnType<typeof makeRpcProvider>) =>
  new Wallet(Redacted.value(account.privateKey), provider)

/** Registers one inference and one fine-tuning service (staked, owner-acknowledged), as the recommended versions. */
const registerServices = async (
  provider: ReturnType<typeof makeRpcProvider>,
  addresses: ContractAddresses,
  accounts: DevnetAccounts,
  chainPort: number,
): Promise<DevnetInfo["services"]> => {
  const inferenceAbi = loadArtifact("InferenceServing").abi
  const fineTuningAbi = loadArtifact("FineTuningServing").abi
  // Emulated providers are started separately; these URLs name where they listen by default.
  const inference: RegisteredInferenceService = {
    provider: accounts.inferenceProvider,
    teeSigner: accounts.inferenceSigner,
    url: `http://127.0.0.1:${chainPort + 1}`,
    model: DEVNET_INFERENCE_MODEL,
    inputPrice: 1_000_000_000n,
    outputPrice: 2_000_000_000n,
  }
  const fineTuning: RegisteredFineTuningService = {
    provider: accounts.fineTuningProvider,
    teeSigner: accounts.fineTuningSigner,
    url: `http://127.0.0.1:${chainPort + 2}`,
    pricePerToken: 1_000_000_000n,
  }

  const inf = new Contract(addresses.inference, inferenceAbi, signerOf(inference.provider, provider))
  const ft = new Contract(addresses.fineTuning, fineTuningAbi, signerOf(fineTuning.provider, provider))
  await Promise.all([
    mined(
      inf.getFunction("addOrUpdateService")(
        {
          serviceType: "chatbot",
          url: inference.url,
          model: inference.model,
          verifiability: "TeeML",
          inputPrice: inference.inputPrice,
          outputPrice: inference.outputPrice,
          additionalInfo: INFERENCE_ADDITIONAL_INFO,
          teeSignerAddress: inference.teeSigner.address,
        },
        { value: DEVNET_PROVIDER_STAKE },
      ),
    ),
    mined(
      ft.getFunction("addOrUpdateService")(
        fineTuning.url,
        { cpuCount: 8n, nodeMemory: 32n, gpuCount: 1n, nodeStorage: 100n, gpuType: "devnet-cpu" },
        fineTuning.pricePerToken,
        false,
        [],
        fineTuning.teeSigner.address,
        { value: DEVNET_PROVIDER_STAKE },
      ),
    ),
  ])

  // The owner vets each TEE signer. NonceManager because ethers caches identical nonce reads for 250 ms.
  const owner = new NonceManager(signerOf(accounts.deployer, provider))
  await mined(
    (new Contract(addresses.inference, inferenceAbi, owner).getFunction("acknowledgeTEESignerByOwner")(
      inference.provider.address,
    )) as Promise<TransactionResponse>,
  )
  await mined(
    (new Contract(addresses.fineTuning, fineTuningAbi, owner).getFunction("acknowledgeTEESignerByOwner")(
      fineTuning.provider.address,
    )) as Promise<TransactionResponse>,
  )
  return { inference: [inference], fineTuning: [fineTuning] }
}

/** The devnet as an Effect service, for layers and tests written with Effect. */
export class DevnetService extends Context.Service<DevnetService, Devnet>()("zg/Devnet") {}

/** A scoped devnet: started when the layer is built, stopped when its scope closes. */
export const devnetLayer = (options: DevnetOptions = {}) =>
  Layer.effect(
    DevnetService,
    Effect.acquireRelease(
      Effect.promise(() => startDevnet(options)),
      (d) => Effect.promise(() => d.stop()),
    ),
  )
