/**
 * The attestation report as a plain async function over a quote someone else fetched: what fine-tuning's provider
 * acknowledgement calls (`acknowledgeProvider(p, { assess: quoteAssessor() })`), so both services run the same checks,
 * the devnet-chain rule and the measurement pins included.
 */
import { Effect, Schema } from "effect"
import { DEFAULT_PCCS_URL } from "../config.js"
import { QuoteBody } from "../schemas.js"
import type { AttestationRefused, MeasurementPins } from "./pins.js"
import { type AttestationOptions, type AttestationReport, assessQuote, reportRefusal } from "./report.js"

export interface QuoteAssessInput extends MeasurementPins {
  readonly provider: string
  readonly url: string
  /** The on-chain TEE signer the quote must bind. */
  readonly teeSignerAddress: string
  /** "dstack" when absent. */
  readonly teeVerifier?: string
  /** The chain the service was read from. */
  readonly chainId: bigint
  /** The quote JSON as the provider served it (parsed). */
  readonly quote: unknown
}

export interface QuoteAssessment extends AttestationReport {
  /** Set when no opt-in may accept the provider (devnet quote off the devnet, a pin that differs). */
  readonly refusal: AttestationRefused | undefined
}

/** An assessor with fixed DCAP options (collateral, PCCS, accepted TCB statuses). */
export const quoteAssessor =
  (options: Omit<AttestationOptions, keyof MeasurementPins> = {}) =>
  (input: QuoteAssessInput): Promise<QuoteAssessment> => {
    const decoded = Schema.decodeUnknownResult(QuoteBody)(input.quote)
    const fetched =
      decoded._tag === "Success"
        ? { body: decoded.success }
        : { error: `the quote is not the documented JSON: ${decoded.failure.message.split("\n")[0] ?? ""}` }
    const facts = {
      provider: input.provider,
      url: input.url,
      teeSignerAddress: input.teeSignerAddress,
      teeVerifier: input.teeVerifier ?? "dstack",
    }
    return Effect.runPromise(
      assessQuote(facts, fetched, {
        ...options,
        ...(input.expectComposeHash === undefined ? {} : { expectComposeHash: input.expectComposeHash }),
        ...(input.expectImage === undefined ? {} : { expectImage: input.expectImage }),
        pccsUrl: options.pccsUrl ?? DEFAULT_PCCS_URL,
        fetchedAt: Date.now(),
        chainId: input.chainId,
      }).pipe(Effect.map((report) => ({ ...report, refusal: reportRefusal(report) }))),
    )
  }
