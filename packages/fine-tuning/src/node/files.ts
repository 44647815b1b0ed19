/**
 * `FineTuningFiles`: the operations that read or write files, on Node — datasets by path, the model download, its
 * verification and acknowledgement, decryption, and the resumable pipeline. Its layer needs the connection stack and
 * reads `FineTuningConfig`, like the browser-safe services.
 */
import { Context, Effect, Layer } from "effect"
import { captureDeps } from "../chain.js"
import { uploadDataset } from "./dataset.js"
import { acknowledgeModel, decryptModel, downloadModel, verifyModelFile } from "./model.js"
import { runPipeline } from "./pipeline.js"

const makeFiles = ({ run }: Effect.Success<typeof captureDeps>) => ({
  /** To 0G Storage when configured (datasetHash = its root), else through the provider route. */
  uploadDataset: (...args: Parameters<typeof uploadDataset>) => run(uploadDataset(...args)),
  /** The encrypted model through the provider route, into a file (atomically). */
  downloadModel: (...args: Parameters<typeof downloadModel>) => run(downloadModel(...args)),
  /** A downloaded file against the on-chain root and the TEE tag signature. */
  verifyModel: (...args: Parameters<typeof verifyModelFile>) => run(verifyModelFile(...args)),
  /** Download → verify root and TEE signature → acknowledge on chain; nothing is acknowledged unless both pass. */
  acknowledgeModel: (...args: Parameters<typeof acknowledgeModel>) => run(acknowledgeModel(...args)),
  /** Unwraps the released key and stream-decrypts; the output appears only after full verification. */
  decryptModel: (...args: Parameters<typeof decryptModel>) => run(decryptModel(...args)),
  /** upload → create → wait → acknowledge → decrypt, resumable from its state file. */
  run: (...args: Parameters<typeof runPipeline>) => run(runPipeline(...args)),
})

export type FineTuningFilesShape = ReturnType<typeof makeFiles>

export class FineTuningFiles extends Context.Service<FineTuningFiles, FineTuningFilesShape>()("zg/fine-tuning/Files") {
  /** Needs the connection stack. */
  static readonly layer = Layer.effect(FineTuningFiles, Effect.map(captureDeps, makeFiles))
}
