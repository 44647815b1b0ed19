/**
 * The `Crypto` service: the package's effectful operations behind one key, so dependants (inference, fine-tuning,
 * devnet) take it from context and tests can swap it (`Layer.mock`). `CryptoLive` is the real implementation.
 */
import { Context, Layer } from "effect"
import { unwrapSecret, wrapSecret } from "./ecies.js"
import { recoverTypedDataSigner, signTypedData, verifyTypedDataSignature } from "./eip712.js"
import {
  recoverFineTuningSigner,
  signCancelTask,
  signCreateTask,
  signDatasetUpload,
  signModelDownload,
  verifyFineTuningMessage,
} from "./fine-tuning-messages.js"
import { decryptModel, encryptModel } from "./model-file.js"
import { verifyResponseSignature } from "./response.js"
import { issueSessionToken, parseApiKey, signSessionToken, verifySessionToken } from "./session-token.js"

export interface CryptoShape {
  readonly issueSessionToken: typeof issueSessionToken
  readonly signSessionToken: typeof signSessionToken
  readonly parseApiKey: typeof parseApiKey
  readonly verifySessionToken: typeof verifySessionToken
  readonly verifyResponseSignature: typeof verifyResponseSignature
  readonly signTypedData: typeof signTypedData
  readonly recoverTypedDataSigner: typeof recoverTypedDataSigner
  readonly verifyTypedDataSignature: typeof verifyTypedDataSignature
  readonly signCreateTask: typeof signCreateTask
  readonly signCancelTask: typeof signCancelTask
  readonly signDatasetUpload: typeof signDatasetUpload
  readonly signModelDownload: typeof signModelDownload
  readonly recoverFineTuningSigner: typeof recoverFineTuningSigner
  readonly verifyFineTuningMessage: typeof verifyFineTuningMessage
  readonly wrapSecret: typeof wrapSecret
  readonly unwrapSecret: typeof unwrapSecret
  readonly encryptModel: typeof encryptModel
  readonly decryptModel: typeof decryptModel
}

export class Crypto extends Context.Service<Crypto, CryptoShape>()("zg/Crypto") {}

export const CryptoLive: Layer.Layer<Crypto> = Layer.succeed(
  Crypto,
  Crypto.of({
    issueSessionToken,
    signSessionToken,
    parseApiKey,
    verifySessionToken,
    verifyResponseSignature,
    signTypedData,
    recoverTypedDataSigner,
    verifyTypedDataSignature,
    signCreateTask,
    signCancelTask,
    signDatasetUpload,
    signModelDownload,
    recoverFineTuningSigner,
    verifyFineTuningMessage,
    wrapSecret,
    unwrapSecret,
    encryptModel,
    decryptModel,
  }),
)
