/**
 * A signer like a browser wallet's: it sends transactions but will not hand out signed bytes, so the engine falls
 * back to `sendTransaction`. Not exported from the package entry.
 */
import { Chain, chainLayerFromRpc, walletLayerFromSigner } from "@0g-compute/core"
import { Effect, Layer } from "effect"
import {
  AbstractSigner,
  makeError,
  type Provider,
  type TransactionRequest,
  type TypedDataDomain,
  type TypedDataField,
  Wallet,
} from "ethers"
import { memoryTxJournal, type TxJournalShape } from "../journal.js"
import { Ledger } from "../ledger/service.js"
import { TxEngine } from "../tx/engine.js"
import { devAccount, runtimeOf } from "./devnet.js"

/** Like a browser wallet: it sends transactions, but will not hand out signed bytes. */
export class BroadcastOnlySigner extends AbstractSigner {
  constructor(
    private readonly inner: Wallet,
    provider: Provider | null,
  ) {
    super(provider)
  }
  override connect(provider: Provider | null) {
    return new BroadcastOnlySigner(this.inner, provider)
  }
  override async getAddress() {
    return this.inner.address
  }
  override async signTransaction(_tx: TransactionRequest): Promise<string> {
    throw makeError("this wallet does not sign without sending", "UNSUPPORTED_OPERATION", {
      operation: "signTransaction",
    })
  }
  override signMessage(message: string | Uint8Array) {
    return this.inner.signMessage(message)
  }
  override signTypedData(
    domain: TypedDataDomain,
    types: Record<string, Array<TypedDataField>>,
    value: Record<string, unknown>,
  ) {
    return this.inner.signTypedData(domain, types, value)
  }
  override async sendTransaction(tx: TransactionRequest) {
    return this.inner.connect(this.provider).sendTransaction(tx)
  }
}

/** Ledger + engine over a broadcast-only signer for dev account `i`, connected to the chain's provider at `url`. */
export const broadcastOnlyStack = (url: string, i: number, journal: TxJournalShape = memoryTxJournal()) => {
  const chain = chainLayerFromRpc(url, { network: "devnet" })
  const wallet = Layer.unwrap(
    Effect.map(Chain, (c) =>
      walletLayerFromSigner(new BroadcastOnlySigner(new Wallet(devAccount(i).privateKey), c.provider)),
    ),
  )
  const tx = Layer.provideMerge(TxEngine.layer({ receiptPollMs: 50, journal }), Layer.provideMerge(wallet, chain))
  return { rt: runtimeOf(Layer.provideMerge(Ledger.layer, tx)), journal }
}
