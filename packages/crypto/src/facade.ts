/**
 * Promise facade: the same operations for integrators who never touch Effect. Each rejects with the typed error
 * itself (an `Error` carrying `_tag` and its fields). No logic lives here.
 */
import { runFacade } from "@0g-compute/core"
import type { Effect } from "effect"
import { unwrapSecret, wrapSecret } from "./ecies.js"
import {
  recoverTypedDataSigner,
  signTypedData,
  teeSettlementTypedData,
  verifierMessageTypedData,
  verifyTypedDataSignature,
} from "./eip712.js"
import {
  cancelTaskPreimage,
  checkTimestampWindow,
  createTaskPreimage,
  modelDownloadPreimage,
  recoverFineTuningSigner,
  signCancelTask,
  signCreateTask,
  signDatasetUpload,
  signFineTuningMessage,
  signModelDownload,
  verifyFineTuningMessage,
} from "./fine-tuning-messages.js"
import { decryptModel, encryptModel } from "./model-file.js"
import { verifyResponseSignature } from "./response.js"
import {
  createSessionToken,
  issueSessionToken,
  parseApiKey,
  signSessionToken,
  verifySessionToken,
} from "./session-token.js"

/** Turns an Effect-returning function into a Promise-returning one with the same parameters. */
export const promised =
  <Args extends ReadonlyArray<unknown>, A, E>(f: (...args: Args) => Effect.Effect<A, E>) =>
  (...args: Args): Promise<A> =>
    runFacade(f(...args))

export const cryptoPromises = {
  createSessionToken: promised(createSessionToken),
  signSessionToken: promised(signSessionToken),
  issueSessionToken: promised(issueSessionToken),
  parseApiKey: promised(parseApiKey),
  verifySessionToken: promised(verifySessionToken),
  teeSettlementTypedData: promised(teeSettlementTypedData),
  verifierMessageTypedData: promised(verifierMessageTypedData),
  signTypedData: promised(signTypedData),
  recoverTypedDataSigner: promised(recoverTypedDataSigner),
  verifyTypedDataSignature: promised(verifyTypedDataSignature),
  verifyResponseSignature: promised(verifyResponseSignature),
  createTaskPreimage: promised(createTaskPreimage),
  cancelTaskPreimage: promised(cancelTaskPreimage),
  modelDownloadPreimage: promised(modelDownloadPreimage),
  signFineTuningMessage: promised(signFineTuningMessage),
  signCreateTask: promised(signCreateTask),
  signCancelTask: promised(signCancelTask),
  signDatasetUpload: promised(signDatasetUpload),
  signModelDownload: promised(signModelDownload),
  recoverFineTuningSigner: promised(recoverFineTuningSigner),
  verifyFineTuningMessage: promised(verifyFineTuningMessage),
  checkTimestampWindow: promised(checkTimestampWindow),
  wrapSecret: promised(wrapSecret),
  unwrapSecret: promised(unwrapSecret),
  encryptModel: promised(encryptModel),
  decryptModel: promised(decryptModel),
} as const
