/**
 * `LedgerClient`: the Promise face of the `Ledger` service for integrators who do not use Effect, built by
 * `createLedgerClient(options)` (or `ledgerClientOn(runtime)` over a shared runtime). One runtime built from the
 * layers; every method rejects with the same typed error (an `Error` with `_tag` and fields).
 */
import {
  type ConnectionOptions,
  chainLayerFromOptions,
  type FacadeRuntime,
  type InvalidAmount,
  makeFacadeRuntime,
  parseZG,
  walletLayerFromOptions,
} from "@0g-compute/core"
import { Effect, Layer } from "effect"
import { getAddress } from "ethers"
import { connectionStackLayer } from "../connection.js"
import type { TxEngineOptions, TxResult } from "../tx/engine.js"
import { Ledger } from "./service.js"
import type { LedgerInfo, LedgerLimits, SubAccount } from "./types.js"

/** A decimal 0G string ("1.5") or a bigint number of neuron. */
export type AmountInput = string | bigint

export interface LedgerClientOptions extends ConnectionOptions {
  readonly tx?: TxEngineOptions
}

const toNeuron = (amount: AmountInput): Effect.Effect<bigint, InvalidAmount> =>
  typeof amount === "bigint" ? Effect.succeed(amount) : parseZG(amount)

// The layer the facade runs on: read-only without a signer or key.
const ledgerLayer = (options: LedgerClientOptions) => {
  const wallet = walletLayerFromOptions(options)
  if (wallet === undefined) return Layer.provide(Ledger.layerReadOnly, chainLayerFromOptions(options))
  return connectionStackLayer(options, wallet)
}

/**
 * The Promise face of the `Ledger` service; create one with `createLedgerClient(options)`. Every method rejects with
 * the typed error itself (`err._tag` and fields intact).
 */
export interface LedgerClient {
  /**
   * The wallet's checksummed address, or undefined for a read-only client.
   *
   * @example
   * const payer = ledger.address // "0xf39F…2266"
   */
  readonly address: string | undefined
  /**
   * The ledger of `address` (default: this wallet); rejects with `LedgerNotFound` when there is none.
   *
   * @example
   * const { total, available } = await ledger.get()
   */
  get(address?: string): Promise<LedgerInfo>
  /**
   * The on-chain minimums and batch limits (read once per connection).
   *
   * @example
   * const { minAccountBalance } = await ledger.limits() // bigint neuron
   */
  limits(): Promise<LedgerLimits>
  /**
   * The per-provider sub-accounts of this wallet (or `address`), optionally of one service type.
   *
   * @example
   * const subs = await ledger.listSubAccounts("inference")
   */
  listSubAccounts(serviceType?: string, address?: string): Promise<ReadonlyArray<SubAccount>>
  /**
   * Creates the ledger with a first deposit (at least `minAccountBalance`).
   *
   * @example
   * const { hash } = await ledger.add("3") // 3 0G
   */
  add(amount: AmountInput, additionalInfo?: string): Promise<TxResult>
  /**
   * Adds funds to this wallet's ledger.
   *
   * @example
   * const receipt = await ledger.deposit("1.5")
   */
  deposit(amount: AmountInput): Promise<TxResult>
  /**
   * Adds funds to the ledger of `recipient` (creating it if the amount reaches the minimum).
   *
   * @example
   * const receipt = await ledger.depositFor("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "3")
   */
  depositFor(recipient: string, amount: AmountInput): Promise<TxResult>
  /**
   * Withdraws available ledger balance back to the wallet.
   *
   * @example
   * const receipt = await ledger.refund("0.5")
   */
  refund(amount: AmountInput): Promise<TxResult>
  /**
   * Moves ledger funds into the sub-account of `provider` for a service type.
   *
   * @example
   * const receipt = await ledger.transfer(provider, "inference", "1")
   */
  transfer(provider: string, serviceType: string, amount: AmountInput): Promise<TxResult>
  /**
   * Starts refunds from the sub-accounts of a service type (all providers, or `providers`) back to the ledger.
   *
   * @example
   * const txs = await ledger.retrieve("inference")
   */
  retrieve(serviceType: string, providers?: ReadonlyArray<string>): Promise<ReadonlyArray<TxResult>>
  /**
   * Deletes an empty ledger (total 0); rejects with `LedgerNotEmpty` otherwise.
   *
   * @example
   * const receipt = await ledger.delete()
   */
  delete(): Promise<TxResult>
  /**
   * Releases the runtime (and the RPC provider it created).
   *
   * @example
   * await ledger.close()
   */
  close(): Promise<void>
}

// Clients made here, so `x instanceof LedgerClient` (from when it was a class) still answers.
const made = new WeakSet<object>()

/**
 * The client over an existing runtime (e.g. a broker's shared connection); disposes it when connecting fails.
 *
 * @example
 * const ledger = await ledgerClientOn(makeFacadeRuntime(connectionStackLayer(options)))
 */
export const ledgerClientOn = async (runtime: FacadeRuntime<Ledger>): Promise<LedgerClient> => {
  let address: string | undefined
  try {
    address = await runtime.run(Ledger.use((l) => Effect.succeed(l.address)))
  } catch (e) {
    await runtime.dispose()
    throw e
  }
  const run = <A, E>(f: (ledger: Ledger["Service"]) => Effect.Effect<A, E>): Promise<A> => runtime.run(Ledger.use(f))
  const paying = <A, E>(amount: AmountInput, f: (l: Ledger["Service"], neuron: bigint) => Effect.Effect<A, E>) =>
    run((l) => Effect.flatMap(toNeuron(amount), (n) => f(l, n)))
  const client: LedgerClient = {
    address: address === undefined ? undefined : getAddress(address),
    get: (of) => run((l) => l.get(of)),
    limits: () => run((l) => l.limits),
    listSubAccounts: (serviceType, of) => run((l) => l.listSubAccounts(serviceType, of)),
    add: (amount, additionalInfo) => paying(amount, (l, n) => l.add(n, additionalInfo)),
    deposit: (amount) => paying(amount, (l, n) => l.deposit(n)),
    depositFor: (recipient, amount) => paying(amount, (l, n) => l.depositFor(recipient, n)),
    refund: (amount) => paying(amount, (l, n) => l.refund(n)),
    transfer: (provider, serviceType, amount) => paying(amount, (l, n) => l.transfer(provider, serviceType, n)),
    retrieve: (serviceType, providers) => run((l) => l.retrieve(serviceType, providers)),
    delete: () => run((l) => l.delete()),
    close: () => runtime.dispose(),
  }
  made.add(client)
  return client
}

/**
 * Connects and checks the chain (and key) up front, so a bad configuration rejects here. Without `signer` or
 * `privateKey` the client is read-only (writes reject with `SignerRequired`).
 *
 * @example
 * const ledger = await createLedgerClient({ privateKey: process.env.ZG_PRIVATE_KEY!, network: "testnet" })
 */
export const createLedgerClient = (options: LedgerClientOptions): Promise<LedgerClient> =>
  ledgerClientOn(makeFacadeRuntime(ledgerLayer(options)))

/**
 * What `LedgerClient` was as a class, kept so old code runs: `LedgerClient.connect(options)`,
 * `LedgerClient.on(runtime)` and `client instanceof LedgerClient`.
 */
export const LedgerClient: {
  /** @deprecated use `createLedgerClient(options)` (same options, same client). */
  readonly connect: (options: LedgerClientOptions) => Promise<LedgerClient>
  /** @deprecated use `ledgerClientOn(runtime)` (same client). */
  readonly on: (runtime: FacadeRuntime<Ledger>) => Promise<LedgerClient>
  readonly [Symbol.hasInstance]: (value: unknown) => boolean
} = {
  connect: createLedgerClient,
  on: ledgerClientOn,
  [Symbol.hasInstance]: (value: unknown) => typeof value === "object" && value !== null && made.has(value),
}
