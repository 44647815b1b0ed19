/**
 * `LedgerClient`: the Promise face of the `Ledger` service for integrators who do not use Effect. One runtime built
 * from the layers; every method rejects with the same typed error (an `Error` with `_tag` and fields).
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
import type { TxEngineOptions } from "../tx/engine.js"
import { Ledger } from "./service.js"

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
 * Connects and checks the chain (and key) up front, so a bad configuration rejects here. Without `signer` or
 * `privateKey` the client is read-only (writes reject with `SignerRequired`).
 *
 * @example
 * const ledger = await createLedgerClient({ privateKey: process.env.ZG_PRIVATE_KEY!, network: "testnet" })
 */
export const createLedgerClient = (options: LedgerClientOptions): Promise<LedgerClient> =>
  LedgerClient.on(makeFacadeRuntime(ledgerLayer(options)))

/** The Promise face of the `Ledger` service; create one with `createLedgerClient(options)`. */
export class LedgerClient {
  private constructor(
    private readonly runtime: FacadeRuntime<Ledger>,
    /** The wallet address, or undefined for a read-only client. */
    readonly address: string | undefined,
  ) {}

  /** @deprecated use `createLedgerClient(options)` (same options, same client). */
  static connect(options: LedgerClientOptions): Promise<LedgerClient> {
    return createLedgerClient(options)
  }

  /**
   * The client over an existing runtime (e.g. a broker's shared connection); disposes it when connecting fails.
   *
   * @example
   * const ledger = await LedgerClient.on(makeFacadeRuntime(connectionStackLayer(options)))
   */
  static async on(runtime: FacadeRuntime<Ledger>): Promise<LedgerClient> {
    try {
      const address = await runtime.run(Ledger.use((l) => Effect.succeed(l.address)))
      return new LedgerClient(runtime, address === undefined ? undefined : getAddress(address))
    } catch (e) {
      await runtime.dispose()
      throw e
    }
  }

  private run<A, E>(f: (ledger: Ledger["Service"]) => Effect.Effect<A, E>): Promise<A> {
    return this.runtime.run(Ledger.use(f))
  }

  /**
   * The ledger of `address` (default: this wallet); rejects with `LedgerNotFound` when there is none.
   *
   * @example
   * const { total, available } = await ledger.get()
   */
  get(address?: string) {
    return this.run((l) => l.get(address))
  }
  /**
   * The on-chain minimums and batch limits (read once per connection).
   *
   * @example
   * const { minAccountBalance } = await ledger.limits() // bigint neuron
   */
  limits() {
    return this.run((l) => l.limits)
  }
  /**
   * The per-provider sub-accounts of this wallet (or `address`), optionally of one service type.
   *
   * @example
   * const subs = await ledger.listSubAccounts("inference")
   */
  listSubAccounts(serviceType?: string, address?: string) {
    return this.run((l) => l.listSubAccounts(serviceType, address))
  }
  /**
   * Creates the ledger with a first deposit (at least `minAccountBalance`).
   *
   * @example
   * await ledger.add("3") // 3 0G
   */
  add(amount: AmountInput, additionalInfo?: string) {
    return this.run((l) => Effect.flatMap(toNeuron(amount), (n) => l.add(n, additionalInfo)))
  }
  /**
   * Adds funds to this wallet's ledger.
   *
   * @example
   * await ledger.deposit("1.5")
   */
  deposit(amount: AmountInput) {
    return this.run((l) => Effect.flatMap(toNeuron(amount), (n) => l.deposit(n)))
  }
  /**
   * Adds funds to the ledger of `recipient` (creating it if the amount reaches the minimum).
   *
   * @example
   * await ledger.depositFor("0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "3")
   */
  depositFor(recipient: string, amount: AmountInput) {
    return this.run((l) => Effect.flatMap(toNeuron(amount), (n) => l.depositFor(recipient, n)))
  }
  /**
   * Withdraws available ledger balance back to the wallet.
   *
   * @example
   * await ledger.refund("0.5")
   */
  refund(amount: AmountInput) {
    return this.run((l) => Effect.flatMap(toNeuron(amount), (n) => l.refund(n)))
  }
  /**
   * Moves ledger funds into the sub-account of `provider` for a service type.
   *
   * @example
   * await ledger.transfer(provider, "inference", "1")
   */
  transfer(provider: string, serviceType: string, amount: AmountInput) {
    return this.run((l) => Effect.flatMap(toNeuron(amount), (n) => l.transfer(provider, serviceType, n)))
  }
  /**
   * Starts refunds from the sub-accounts of a service type (all providers, or `providers`) back to the ledger.
   *
   * @example
   * const txs = await ledger.retrieve("inference")
   */
  retrieve(serviceType: string, providers?: ReadonlyArray<string>) {
    return this.run((l) => l.retrieve(serviceType, providers))
  }
  /**
   * Deletes an empty ledger (total 0); rejects with `LedgerNotEmpty` otherwise.
   *
   * @example
   * await ledger.delete()
   */
  delete() {
    return this.run((l) => l.delete())
  }
  /**
   * Releases the runtime (and the RPC provider it created).
   *
   * @example
   * await ledger.close()
   */
  close(): Promise<void> {
    return this.runtime.dispose()
  }
}
