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

/** The `Ledger` layer a facade runs on: read-only without a signer or key. */
export const ledgerLayerFromOptions = (options: LedgerClientOptions) => {
  const wallet = walletLayerFromOptions(options)
  if (wallet === undefined) return Layer.provide(Ledger.layerReadOnly, chainLayerFromOptions(options))
  return connectionStackLayer(options, wallet)
}

export class LedgerClient {
  private constructor(
    private readonly runtime: FacadeRuntime<Ledger>,
    /** The wallet address, or undefined for a read-only client. */
    readonly address: string | undefined,
  ) {}

  /** Connects and checks the chain (and key) up front, so a bad configuration rejects here. */
  static async connect(options: LedgerClientOptions): Promise<LedgerClient> {
    return LedgerClient.on(makeFacadeRuntime(ledgerLayerFromOptions(options)))
  }

  /** The client over an existing runtime (e.g. a broker's shared connection); disposes it when connecting fails. */
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

  get(address?: string) {
    return this.run((l) => l.get(address))
  }
  limits() {
    return this.run((l) => l.limits)
  }
  listSubAccounts(serviceType?: string, address?: string) {
    return this.run((l) => l.listSubAccounts(serviceType, address))
  }
  add(amount: AmountInput, additionalInfo?: string) {
    return this.run((l) => Effect.flatMap(toNeuron(amount), (n) => l.add(n, additionalInfo)))
  }
  deposit(amount: AmountInput) {
    return this.run((l) => Effect.flatMap(toNeuron(amount), (n) => l.deposit(n)))
  }
  depositFor(recipient: string, amount: AmountInput) {
    return this.run((l) => Effect.flatMap(toNeuron(amount), (n) => l.depositFor(recipient, n)))
  }
  refund(amount: AmountInput) {
    return this.run((l) => Effect.flatMap(toNeuron(amount), (n) => l.refund(n)))
  }
  transfer(provider: string, serviceType: string, amount: AmountInput) {
    return this.run((l) => Effect.flatMap(toNeuron(amount), (n) => l.transfer(provider, serviceType, n)))
  }
  retrieve(serviceType: string, providers?: ReadonlyArray<string>) {
    return this.run((l) => l.retrieve(serviceType, providers))
  }
  delete() {
    return this.run((l) => l.delete())
  }
  /** Releases the runtime (and the RPC provider it created). */
  close(): Promise<void> {
    return this.runtime.dispose()
  }
}
