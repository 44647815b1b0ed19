/**
 * The attestation report: every check reported on its own, never collapsed into one success flag.
 *
 * - quoteFetched    — `GET {url}/v1/quote` answered with the documented JSON;
 * - signerBound     — report_data names the on-chain TEE signer (for a hardware quote: the quote's own REPORTDATA,
 *                     which the JSON copy must equal);
 * - composeHash     — sha256(tcb_info.app_compose) equals the event log's compose-hash (dstack);
 * - quoteSignature  — the TDX quote verifies with DCAP against Intel's root CA and acceptable TCB; a devnet quote is
 *                     reported as "devnet", never as verified hardware;
 * - eventLogReplay  — the runtime events replay to the quote's RTMR3 (binds the compose hash to the hardware);
 * - gpuEvidence     — NVIDIA evidence is reported as present/absent only (not verified here);
 * - composePinned / imagePinned — the proven compose hash / the images of the proven compose against what the user
 *                     pinned; "unpinned" when nothing was pinned.
 *
 * A devnet quote counts as "devnet" only on the local devnet chain (31337); anywhere else it fails. A failed pin or a
 * devnet quote off the devnet is refused whatever the caller opted in to (`reportRefusal`).
 */
import { Effect } from "effect"
import type { CollateralUnavailable, MalformedProviderResponse, ProviderUnreachable } from "../errors.js"
import { type ProviderRejection, providerJson } from "../http.js"
import { QuoteBody } from "../schemas.js"
import type { ServiceView } from "../service-view.js"
import {
  AttestationRefused,
  checkComposePin,
  checkImagePin,
  DEVNET_CHAIN_ID,
  devnetChainAllowed,
  type MeasurementPins,
} from "./pins.js"
import { checkComposeHash, parseQuoteBody, replayRtmr3, signerInReportData, toHexString } from "./quote.js"
import { type TdxVerification, type VerifyTdxOptions, verifyTdxQuote } from "./tdx.js"

export type CheckStatus = "pass" | "fail" | "devnet" | "skipped" | "unpinned"

export interface AttestationCheck {
  readonly status: CheckStatus
  readonly detail: string
}

export const CHECK_NAMES = [
  "quoteFetched",
  "signerBound",
  "composeHash",
  "quoteSignature",
  "eventLogReplay",
  "gpuEvidence",
  "composePinned",
  "imagePinned",
] as const
export type CheckName = (typeof CHECK_NAMES)[number]

export interface AttestationReport {
  readonly provider: string
  readonly url: string
  readonly teeSignerAddress: string
  /** The chain the provider was read from (a devnet quote is acceptable only on 31337). */
  readonly chainId: bigint | undefined
  /** What the quote is: a devnet emulation, a TDX hardware quote, the broker's mock, or nothing usable. */
  readonly environment: "devnet" | "tdx" | "mock" | "none"
  readonly checks: Readonly<Record<CheckName, AttestationCheck>>
  /** DCAP details when a hardware quote was verified. */
  readonly tdx: TdxVerification | undefined
  /**
   * "verified": every required check passed on hardware; "devnet": everything that can pass on a devnet passed and the
   * hardware checks are devnet-only; "unverified": something failed.
   */
  readonly verdict: "verified" | "devnet" | "unverified"
  /** Required checks that did not pass (including devnet-only ones). */
  readonly failed: ReadonlyArray<CheckName>
  /** Unix ms when the quote was fetched. */
  readonly fetchedAt: number
}

export interface AttestationOptions extends Omit<VerifyTdxOptions, "pccsUrl">, MeasurementPins {
  readonly pccsUrl?: string
}

type AssessOptions = AttestationOptions & {
  readonly pccsUrl: string
  readonly fetchedAt: number
  /** The chain the service was read from; unknown counts as "not the devnet". */
  readonly chainId?: bigint | undefined
}

type ServiceFacts = Pick<ServiceView, "provider" | "url" | "teeSignerAddress" | "teeVerifier">

const check = (status: CheckStatus, detail: string): AttestationCheck => ({ status, detail })
const pinNoQuote = (pin: string | undefined) =>
  pin ? check("fail", `pinned ${pin}, but there is no quote`) : check("unpinned", "nothing pinned")

/** Builds the report from a quote body (or the reason it could not be fetched). Pure apart from hashing and DCAP. */
export const assessQuote = (
  service: ServiceFacts,
  fetched: { readonly body: QuoteBody } | { readonly error: string },
  options: AssessOptions,
): Effect.Effect<AttestationReport> =>
  Effect.gen(function* () {
    const base = {
      provider: service.provider,
      url: service.url,
      teeSignerAddress: service.teeSignerAddress,
      chainId: options.chainId,
    }
    if ("error" in fetched) {
      const no = check("fail", "no quote")
      return {
        ...base,
        environment: "none",
        checks: {
          quoteFetched: check("fail", fetched.error),
          signerBound: no,
          composeHash: no,
          quoteSignature: no,
          eventLogReplay: no,
          gpuEvidence: check("skipped", "no quote"),
          composePinned: pinNoQuote(options.expectComposeHash),
          imagePinned: pinNoQuote(options.expectImage),
        },
        tdx: undefined,
        verdict: "unverified",
        failed: [
          "quoteFetched",
          "signerBound",
          "composeHash",
          "quoteSignature",
          "eventLogReplay",
          ...(options.expectComposeHash ? (["composePinned"] as const) : []),
          ...(options.expectImage ? (["imagePinned"] as const) : []),
        ],
        fetchedAt: options.fetchedAt,
      } satisfies AttestationReport
    }
    const q = parseQuoteBody(fetched.body)
    const environment = q.devnet ? "devnet" : q.quoteBytes !== undefined ? "tdx" : q.mock ? "mock" : "none"

    let tdx: TdxVerification | undefined
    let quoteSignature: AttestationCheck
    const devnetHere = devnetChainAllowed(options.chainId)
    if (environment === "devnet" && !devnetHere)
      quoteSignature = check(
        "fail",
        `devnet quote on chain ${options.chainId ?? "unknown"}: accepted only on the local devnet (chain ${DEVNET_CHAIN_ID})`,
      )
    else if (environment === "devnet")
      quoteSignature = check("devnet", "devnet quote: emulated, not signed by TEE hardware")
    else if (environment === "mock") quoteSignature = check("fail", "broker mock quote: not a hardware quote")
    else if (environment === "none" || q.quoteBytes === undefined)
      quoteSignature = check("fail", "no TDX quote in the response")
    else {
      const result = yield* Effect.result(verifyTdxQuote(q.quoteBytes, options))
      if (result._tag === "Failure") {
        quoteSignature = check("fail", `collateral unavailable: ${(result.failure as CollateralUnavailable).message}`)
      } else {
        tdx = result.success
        quoteSignature =
          tdx._tag === "Failed"
            ? check("fail", `DCAP verification failed: ${tdx.reason}`)
            : tdx.tcbAccepted
              ? check("pass", `DCAP verified, TCB ${tdx.tcbStatus}`)
              : check("fail", `DCAP verified but TCB status ${tdx.tcbStatus} is not accepted`)
      }
    }

    // Signer binding: the hardware REPORTDATA when we have a verified quote, else the JSON report_data.
    let signerBound: AttestationCheck
    const expected = service.teeSignerAddress.toLowerCase()
    const jsonData = q.reportData
    const verified = tdx?._tag === "Verified" ? tdx : undefined
    const hwData = verified === undefined ? undefined : verified.measurements.reportData
    const padded = (b: Uint8Array) => toHexString(Uint8Array.from({ length: 64 }, (_, i) => b[i] ?? 0))
    if (hwData !== undefined && jsonData !== undefined && padded(jsonData) !== hwData) {
      signerBound = check("fail", "the JSON report_data differs from the REPORTDATA inside the quote")
    } else {
      const source =
        hwData !== undefined ? Uint8Array.from(hwData.match(/../g) ?? [], (h) => Number.parseInt(h, 16)) : jsonData
      const named = source === undefined ? undefined : signerInReportData(source)
      const where = hwData !== undefined ? "the quote's REPORTDATA" : "report_data (not hardware-signed)"
      signerBound =
        source === undefined
          ? check("fail", "no report_data")
          : named === undefined
            ? check("fail", `${where} does not hold a signer address`)
            : named.toLowerCase() === expected
              ? check("pass", `${where} names the on-chain TEE signer ${service.teeSignerAddress}`)
              : check("fail", `${where} names ${named}, the on-chain TEE signer is ${service.teeSignerAddress}`)
    }

    const compose = yield* checkComposeHash(q, service.teeVerifier, verified !== undefined)
    const composeHash = check(compose.status, compose.detail)

    let eventLogReplay: AttestationCheck
    if (environment === "devnet" && !devnetHere) eventLogReplay = check("fail", "devnet quote off the devnet chain")
    else if (environment === "devnet")
      eventLogReplay = check("devnet", "devnet quote: no hardware RTMR3 to replay against")
    else if (verified === undefined) eventLogReplay = check("fail", "no verified hardware quote to replay against")
    else if (service.teeVerifier !== "dstack") eventLogReplay = check("skipped", `TEEVerifier ${service.teeVerifier}`)
    else {
      const replay = yield* replayRtmr3(q.eventLog)
      eventLogReplay =
        "error" in replay
          ? check("fail", replay.error)
          : replay.events === 0
            ? check("fail", "the event log has no RTMR3 events")
            : replay.rtmr3 === verified.measurements.rtmr3
              ? check("pass", `${replay.events} runtime events replay to RTMR3`)
              : check(
                  "fail",
                  `runtime events replay to ${replay.rtmr3}, the quote's RTMR3 is ${verified.measurements.rtmr3}`,
                )
    }

    const gpuEvidence = q.hasGpuEvidence
      ? check("skipped", "NVIDIA evidence present; not verified by this client")
      : check("skipped", "no GPU evidence")

    // A pin is checked against what the quote proves: the compose hash only when the compose check passed.
    const proven = compose.status === "pass" ? compose.hash : undefined
    const composePinned = checkComposePin(options.expectComposeHash, proven)
    const imagePinned = checkImagePin(options.expectImage, q, proven !== undefined)

    const checks = {
      quoteFetched: check("pass", "quote JSON received"),
      signerBound,
      composeHash,
      quoteSignature,
      eventLogReplay,
      gpuEvidence,
      composePinned: check(composePinned.status, composePinned.detail),
      imagePinned: check(imagePinned.status, imagePinned.detail),
    }
    const required: ReadonlyArray<CheckName> = [
      "quoteFetched",
      "signerBound",
      "composeHash",
      "quoteSignature",
      "eventLogReplay",
      "composePinned",
      "imagePinned",
    ]
    const failed = required.filter(
      (n) => checks[n].status !== "pass" && checks[n].status !== "skipped" && checks[n].status !== "unpinned",
    )
    const verdict =
      failed.length === 0
        ? "verified"
        : environment === "devnet" && failed.every((n) => checks[n].status === "devnet")
          ? "devnet"
          : "unverified"
    return {
      ...base,
      environment,
      checks,
      tdx,
      verdict,
      failed,
      fetchedAt: options.fetchedAt,
    } satisfies AttestationReport
  })

export type QuoteFetchError = ProviderUnreachable | ProviderRejection | MalformedProviderResponse

/** Fetches `GET {url}/v1/quote` and assesses it. Fetch failures become a failed `quoteFetched` check. */
export const attestService = (service: ServiceFacts, options: AssessOptions): Effect.Effect<AttestationReport> =>
  providerJson({ provider: service.provider, url: `${service.url}/v1/quote` }, QuoteBody, "attestation quote").pipe(
    Effect.map((body) => ({ body }) as const),
    Effect.catch((e: { readonly message: string }) => Effect.succeed({ error: e.message } as const)),
    Effect.flatMap((fetched) => assessQuote(service, fetched, options)),
  )

/** What no opt-in waives: a devnet quote off the devnet chain, a pinned measurement that differs. */
export const reportRefusal = (report: AttestationReport): AttestationRefused | undefined => {
  if (report.environment === "devnet" && !devnetChainAllowed(report.chainId))
    return new AttestationRefused({
      provider: report.provider,
      reason: "devnet-quote-off-devnet",
      detail: `it serves a devnet (emulated) quote on chain ${report.chainId ?? "unknown"}; devnet quotes are accepted only on chain ${DEVNET_CHAIN_ID}`,
    })
  if (report.checks.composePinned.status === "fail")
    return new AttestationRefused({
      provider: report.provider,
      reason: "compose-hash-mismatch",
      detail: report.checks.composePinned.detail,
    })
  if (report.checks.imagePinned.status === "fail")
    return new AttestationRefused({
      provider: report.provider,
      reason: "image-mismatch",
      detail: report.checks.imagePinned.detail,
    })
  return undefined
}

/** Whether a report is acceptable under the caller's opt-ins (never when `reportRefusal` names a refusal). */
export const reportAccepted = (
  report: AttestationReport,
  options: { readonly allowDevnet?: boolean; readonly allowUnverified?: boolean },
): boolean =>
  reportRefusal(report) === undefined &&
  (report.verdict === "verified" ||
    options.allowUnverified === true ||
    (report.verdict === "devnet" && options.allowDevnet === true))
