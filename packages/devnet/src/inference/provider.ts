/**
 * `startInferenceProvider()`: an emulated TEE inference provider on 127.0.0.1. The server starts first, so the
 * service can be registered (or updated) with its real URL; then the settlement timer runs until `stop()`.
 */
import { createServer } from "node:http"
import { inferenceServing } from "@0g-compute/contracts"
import { Redacted } from "effect"
import { getAddress, JsonRpcProvider, Network, NonceManager, Wallet } from "ethers"
import { closeServer, listenLoopback } from "../loopback.js"
import { FeeLedger } from "./billing.js"
import { registration } from "./broker2026.js"
import { makeChainView } from "./chain.js"
import { makeFaultSwitches } from "./faults.js"
import { LoraAdapters } from "./lora.js"
import { DEVNET_INFERENCE_MODEL, registerService } from "./register.js"
import { makeRequestListener } from "./server.js"
import { makeSettler } from "./settlement.js"
import { SignatureCache } from "./signatures.js"
import type { InferenceProvider, InferenceProviderOptions } from "./types.js"

export const DEFAULT_INPUT_PRICE = 1_000_000_000n
export const DEFAULT_OUTPUT_PRICE = 2_000_000_000n
export const DEFAULT_SETTLE_INTERVAL_MS = 5_000

/**
 * No read cache (a revocation must act on the next request) and no 10 ms batch stall: every request waits on two
 * chain reads, which are the bulk of the emulator's latency.
 */
const chainProvider = async (rpcUrl: string, chainId: bigint | undefined): Promise<JsonRpcProvider> => {
  let id = chainId
  if (id === undefined) {
    const probe = new JsonRpcProvider(rpcUrl)
    try {
      id = (await probe.getNetwork()).chainId
    } finally {
      probe.destroy()
    }
  }
  const network = Network.from(id)
  const rpc = new JsonRpcProvider(rpcUrl, network, { staticNetwork: network, cacheTimeout: -1, batchStallTime: 0 })
  rpc.pollingInterval = 50
  return rpc
}

export const startInferenceProvider = async (options: InferenceProviderOptions): Promise<InferenceProvider> => {
  const rpc = await chainProvider(options.rpcUrl, options.chainId)
  const chainId = (await rpc.getNetwork()).chainId
  const contractAddress = getAddress(options.contract)
  const wallet = new NonceManager(new Wallet(Redacted.value(options.providerKey), rpc))
  const tee = new Wallet(Redacted.value(options.teeKey))
  const providerAddress = getAddress(await wallet.getAddress())
  const contract = inferenceServing(contractAddress, wallet)
  const chain = makeChainView(inferenceServing(contractAddress, rpc), providerAddress)
  const ledger = new FeeLedger()
  const faults = makeFaultSwitches()
  const model = options.model ?? DEVNET_INFERENCE_MODEL
  const inputPrice = options.inputPrice ?? DEFAULT_INPUT_PRICE
  const outputPrice = options.outputPrice ?? DEFAULT_OUTPUT_PRICE
  const settler = makeSettler({
    contract,
    wallet,
    chain,
    chainId,
    contractAddress,
    provider: providerAddress,
    tee,
    ledger,
  })

  const settleNow = async () => {
    const report = await settler.settleNow()
    if (report.items.length > 0) options.onEvent?.({ _tag: "Settled", report })
    return report
  }

  const lora = new LoraAdapters(options.loraDeployDelayMs ?? 0)
  const serviceType = options.serviceType ?? options.broker?.serviceType ?? "chatbot"
  const server = createServer(
    makeRequestListener({
      provider: providerAddress,
      teeSigner: getAddress(tee.address),
      model,
      inputPrice,
      outputPrice,
      tee,
      chain,
      ledger,
      signatures: new SignatureCache(),
      faults,
      upstream: options.upstream,
      upstreamApiKey: options.upstreamApiKey,
      settleNow,
      onEvent: options.onEvent,
      billing: options.billing,
      broker: options.broker,
      lora,
      serviceType,
    }),
  )
  let port: number
  try {
    port = await listenLoopback(server, options.port)
  } catch (e) {
    rpc.destroy()
    throw e
  }
  const url = `http://127.0.0.1:${port}`

  try {
    if (options.register !== false) {
      await registerService({
        contract,
        contractAddress,
        provider: providerAddress,
        url,
        model,
        inputPrice,
        outputPrice,
        teeSigner: tee.address,
        acknowledgeWith: options.acknowledgeWith,
        serviceType,
        ...(options.broker === undefined ? {} : registration(options.broker)),
      })
    }
  } catch (e) {
    await closeServer(server)
    rpc.destroy()
    throw e
  }

  // A timeout chain rather than setInterval: a slow round never overlaps the next tick.
  const interval = options.settleIntervalMs ?? DEFAULT_SETTLE_INTERVAL_MS
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const tick = () => {
    timer = setTimeout(() => {
      settleNow()
        .catch((error: unknown) => options.onEvent?.({ _tag: "SettlementFailed", error }))
        .finally(() => {
          if (!stopped) tick()
        })
    }, interval)
    timer.unref()
  }
  if (interval > 0) tick()

  let stopping: Promise<void> | undefined
  return {
    url,
    port,
    providerAddress,
    teeSignerAddress: getAddress(tee.address),
    model,
    inputPrice,
    outputPrice,
    faults,
    lora,
    unsettledFee: (user) => ledger.unsettled(user),
    settleNow,
    stop: () => {
      stopping ??= (async () => {
        stopped = true
        if (timer !== undefined) clearTimeout(timer)
        await closeServer(server)
        await settler.idle()
        rpc.destroy()
      })()
      return stopping
    },
  }
}
