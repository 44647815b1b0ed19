/**
 * A signer like a browser wallet's: it sends transactions but will not hand out signed bytes, so the engine falls
 * back to `sendTransaction`. Not exported from the package entry.
 */
import {
  AbstractSigner,
  makeError,
  type Provider,
  type TransactionRequest,
  type TypedDataDomain,
  type TypedDataField,
  type Wallet,
} from "ethers"

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
