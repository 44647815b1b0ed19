/**
 * `Chain` (a read-only view of one network) and `Wallet` (who signs) services over ethers v6.
 * Any ethers `Signer` works; a private key is only one way to make one.
 */
import { Context, Effect, Layer, Redacted, Result } from "effect"
import { BaseWallet, getAddress, JsonRpcProvider, Network, type Provider, type Signer, SigningKey } from "ethers"
import { ChainMismatch, InvalidAddress, InvalidPrivateKey, RpcError, type UnknownChainId } from "./errors.js"
import {
  type ContractAddresses,
  NETWORKS,
  type NetworkName,
  type NetworkPreset,
  networkForChainId,
} from "./networks.js"

export interface ChainShape {
  readonly provider: Provider
  readonly chainId: bigint
  /** The preset matching `chainId`, or undefined for a custom chain with explicit addresses. */
  readonly network: NetworkPreset | undefined
  readonly contracts: ContractAddresses
}

export class Chain extends Context.Service<Chain, ChainShape>()("zg/Chain") {}

export interface WalletShape {
  readonly signer: Signer
  readonly address: string
}

export class Wallet extends Context.Service<Wallet, WalletShape>()("zg/Wallet") {}

export interface ChainOptions {
  /** Expect this preset; the RPC's chain id must match it. */
  readonly network?: NetworkName
  /** Override contract addresses (required for an unknown chain id). */
  readonly contracts?: Partial<ContractAddresses>
}

const isLocal = (url: string) => /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/i.test(url)

/** Resolves the network of a provider, failing closed on unknown chain ids without explicit addresses. */
export const makeChain = (
  provider: Provider,
  options: ChainOptions = {},
): Effect.Effect<ChainShape, RpcError | ChainMismatch | UnknownChainId> =>
  Effect.gen(function* () {
    const net = yield* Effect.tryPromise({
      try: () => provider.getNetwork(),
      catch: (cause) => new RpcError({ method: "eth_chainId", cause }),
    })
    const chainId = net.chainId
    if (options.network !== undefined) {
      const expected = NETWORKS[options.network]
      if (expected.chainId !== chainId) return yield* new ChainMismatch({ expected: expected.chainId, actual: chainId })
      return { provider, chainId, network: expected, contracts: { ...expected.contracts, ...options.contracts } }
    }
    const c = options.contracts
    if (c?.ledger && c.inference && c.fineTuning) {
      const known = yield* networkForChainId(chainId).pipe(Effect.option)
      return {
        provider,
        chainId,
        network: known._tag === "Some" ? known.value : undefined,
        contracts: { ledger: c.ledger, inference: c.inference, fineTuning: c.fineTuning },
      }
    }
    const preset = yield* networkForChainId(chainId)
    return { provider, chainId, network: preset, contracts: { ...preset.contracts, ...c } }
  })

/** A JSON-RPC provider tuned for the target: fast polling on loopback chains, the chain id pinned once known. */
export const makeRpcProvider = (rpcUrl: string, chainId?: bigint): JsonRpcProvider => {
  // cacheTimeout -1: ethers otherwise answers an identical read made within 250 ms from cache, so a read right after
  // a mined write (the norm on an automining devnet) can return the pre-write state.
  const provider = new JsonRpcProvider(
    rpcUrl,
    chainId === undefined ? undefined : Network.from(chainId),
    chainId === undefined ? { cacheTimeout: -1 } : { staticNetwork: Network.from(chainId), cacheTimeout: -1 },
  )
  provider.pollingInterval = isLocal(rpcUrl) ? 50 : 1000
  return provider
}

/** `Chain` from an RPC URL. With a preset, its chain id is pinned and checked against the RPC. */
export const chainLayerFromRpc = (rpcUrl: string, options: ChainOptions = {}) =>
  Layer.effect(
    Chain,
    Effect.gen(function* () {
      const pinned = options.network === undefined ? undefined : NETWORKS[options.network].chainId
      const provider = makeRpcProvider(rpcUrl, pinned)
      yield* Effect.addFinalizer(() => Effect.sync(() => provider.destroy()))
      if (pinned !== undefined) {
        // staticNetwork skips eth_chainId, so check it once explicitly.
        const raw = yield* Effect.tryPromise({
          try: () => provider.send("eth_chainId", []) as Promise<string>,
          catch: (cause) => new RpcError({ method: "eth_chainId", cause }),
        })
        const actual = yield* Effect.try({
          try: () => BigInt(raw),
          catch: () => new RpcError({ method: "eth_chainId", cause: new Error(`not a chain id: ${String(raw)}`) }),
        })
        if (actual !== pinned) return yield* new ChainMismatch({ expected: pinned, actual })
      }
      return Chain.of(yield* makeChain(provider, options))
    }),
  )

/** `Chain` from an existing ethers provider. */
export const chainLayerFromProvider = (provider: Provider, options: ChainOptions = {}) =>
  Layer.effect(Chain, Effect.map(makeChain(provider, options), Chain.of))

/** `Wallet` from any ethers signer (browser wallet, hardware signer, ethers.Wallet…). */
export const walletLayerFromSigner = (signer: Signer) =>
  Layer.effect(
    Wallet,
    Effect.tryPromise({
      try: async () => Wallet.of({ signer, address: getAddress(await signer.getAddress()) }),
      catch: (cause) => new RpcError({ method: "getAddress", cause }),
    }),
  )

/** `Wallet` from a private key, connected to the `Chain` provider. */
export const walletLayerFromPrivateKey = (key: Redacted.Redacted<string>) =>
  Layer.effect(
    Wallet,
    Effect.gen(function* () {
      const chain = yield* Chain
      // Plain JavaScript may hand over anything here; parsePrivateKey names what is not a key.
      const checked = yield* parsePrivateKey(
        Redacted.isRedacted(key) ? Redacted.value(key) : (key as unknown as string),
      )
      // BaseWallet, not ethers' Wallet: the same signer without the JSON-keystore code (aes-js, scrypt, word lists),
      // which would otherwise land in every browser bundle.
      const w = new BaseWallet(new SigningKey(Redacted.value(checked)), chain.provider)
      return Wallet.of({ signer: w, address: w.address })
    }),
  )

/** Validates a hex private key (with or without 0x) and wraps it so it never prints. */
export const parsePrivateKeyResult = (input: string): Result.Result<Redacted.Redacted<string>, InvalidPrivateKey> => {
  if (typeof input !== "string")
    return Result.fail(new InvalidPrivateKey({ reason: "expected a string of 64 hex digits" }))
  const text = input.trim()
  const hex = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    return Result.fail(new InvalidPrivateKey({ reason: "expected 32 bytes as 64 hex digits" }))
  }
  if (/^0+$/.test(hex)) return Result.fail(new InvalidPrivateKey({ reason: "the zero key is not a valid key" }))
  try {
    SigningKey.computePublicKey(`0x${hex}`)
  } catch {
    return Result.fail(new InvalidPrivateKey({ reason: "not a valid secp256k1 private key" }))
  }
  return Result.succeed(Redacted.make(`0x${hex.toLowerCase()}`))
}

/** `parsePrivateKeyResult` as an Effect. */
export const parsePrivateKey = (input: string): Effect.Effect<Redacted.Redacted<string>, InvalidPrivateKey> =>
  Effect.fromResult(parsePrivateKeyResult(input))

/** Validates an address and returns its EIP-55 form. Mixed-case input must carry a correct checksum. */
export const parseAddressResult = (input: string): Result.Result<string, InvalidAddress> => {
  if (typeof input !== "string") return Result.fail(new InvalidAddress({ input: String(input) }))
  const text = input.trim()
  if (/^0x[0-9a-fA-F]{40}$/.test(text)) {
    try {
      return Result.succeed(getAddress(text))
    } catch {
      // a mixed-case address with a wrong checksum
    }
  }
  return Result.fail(new InvalidAddress({ input }))
}

/** `parseAddressResult` as an Effect. */
export const parseAddress = (input: string): Effect.Effect<string, InvalidAddress> =>
  Effect.fromResult(parseAddressResult(input))
