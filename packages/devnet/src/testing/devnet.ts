/** Devnets as the workspace's tests start them (plain functions: the caller's test runner owns the hooks). */
import { Redacted } from "effect"
import { type JsonRpcProvider, Wallet } from "ethers"
import { type Devnet, type DevnetOptions, startDevnet } from "../devnet.js"
import { startInferenceProvider } from "../inference/provider.js"
import type { InferenceProvider } from "../inference/types.js"

/** A devnet whose inference providers settle only when the test asks (never between two reads of an assertion). */
export const startTestDevnet = (options: DevnetOptions = {}): Promise<Devnet> =>
  startDevnet({ ...options, inference: { settleIntervalMs: 0, ...options.inference } })

/** Devnet options for one provider per media service type beside a chatbot: image, chat, image editing, speech. */
export const MEDIA_PROVIDERS = {
  inferenceProviders: 4,
  inferenceBrokers: [
    { serviceType: "text-to-image" },
    undefined,
    { serviceType: "image-editing" },
    { serviceType: "speech-to-text" },
  ],
} as const satisfies DevnetOptions

/**
 * One more emulated provider beside the devnet's own: devnet user 3's wallet, a fresh TEE key, settlement on demand,
 * its TEE signer vetted by the contract owner (signing through `via`). `options` add or override; the caller stops it.
 */
export const startExtraProvider = (
  devnet: Devnet,
  via: JsonRpcProvider,
  options: Partial<Parameters<typeof startInferenceProvider>[0]> = {},
): Promise<InferenceProvider> => {
  const user3 = devnet.accounts.users[3]
  if (user3 === undefined) throw new Error("startExtraProvider: the devnet has no user 3")
  return startInferenceProvider({
    rpcUrl: devnet.rpcUrl,
    chainId: devnet.chainId,
    contract: devnet.addresses.inference,
    providerKey: user3.privateKey,
    teeKey: Redacted.make(Wallet.createRandom().privateKey),
    settleIntervalMs: 0,
    acknowledgeWith: new Wallet(Redacted.value(devnet.accounts.deployer.privateKey), via),
    ...options,
  })
}
