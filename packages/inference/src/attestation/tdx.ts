/**
 * Intel TDX quote verification with @phala/dcap-qvl (pure JS): the quote signature, the QE report, the PCK certificate
 * chain up to Intel's root CA, CRLs, TCB info and QE identity, at a given time. The library is loaded on first use so
 * the default entry stays light for browsers that never verify hardware quotes.
 */
import { Clock, Effect } from "effect"
import { CollateralUnavailable } from "../errors.js"

type Dcap = typeof import("@phala/dcap-qvl")

let dcapModule: Promise<Dcap> | undefined
const loadDcap = (): Promise<Dcap> => {
  dcapModule ??= import("@phala/dcap-qvl").then((m) => ((m as { default?: Dcap }).default ?? m) as Dcap)
  return dcapModule
}

/** PCCS collateral as dcap-qvl takes it (the JSON in shared/reference/tdx has this shape). */
export interface TdxCollateral {
  readonly pck_crl_issuer_chain: string
  readonly root_ca_crl: ReadonlyArray<number> | string
  readonly pck_crl: ReadonlyArray<number> | string
  readonly tcb_info_issuer_chain: string
  readonly tcb_info: string
  readonly tcb_info_signature: ReadonlyArray<number> | string
  readonly qe_identity_issuer_chain: string
  readonly qe_identity: string
  readonly qe_identity_signature: ReadonlyArray<number> | string
}

/** TCB statuses that mean "genuine and patched enough"; anything else fails the quote check by default. */
export const DEFAULT_ACCEPTED_TCB = [
  "UpToDate",
  "SWHardeningNeeded",
  "ConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
]

export interface TdxMeasurements {
  readonly reportData: string
  readonly mrTd: string
  readonly rtmr0: string
  readonly rtmr1: string
  readonly rtmr2: string
  readonly rtmr3: string
}

export type TdxVerification =
  | {
      readonly _tag: "Verified"
      readonly tcbStatus: string
      readonly advisoryIds: ReadonlyArray<string>
      /** Whether `tcbStatus` is in the accepted list. */
      readonly tcbAccepted: boolean
      readonly measurements: TdxMeasurements
      readonly verifiedAt: number
    }
  | { readonly _tag: "Failed"; readonly reason: string; readonly verifiedAt: number }

export interface VerifyTdxOptions {
  /** Collateral to verify against; when absent it is fetched from `pccsUrl`. */
  readonly collateral?: TdxCollateral
  readonly pccsUrl?: string
  /** Verification time in unix seconds (collateral validity is checked against it). Default: the Effect Clock. */
  readonly nowSeconds?: number
  readonly acceptedTcbStatuses?: ReadonlyArray<string>
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")

/** Fetches the collateral for a quote from a PCCS (Intel PCS API v4 layout). */
export const fetchTdxCollateral = (
  quote: Uint8Array,
  pccsUrl: string,
): Effect.Effect<TdxCollateral, CollateralUnavailable> =>
  Effect.tryPromise({
    try: async () => (await loadDcap()).getCollateral(pccsUrl, quote) as Promise<TdxCollateral>,
    catch: (cause) => new CollateralUnavailable({ pccsUrl, cause }),
  })

/**
 * Verifies a raw TDX quote. Never fails: an invalid quote is a `Failed` verdict with the library's reason. A missing
 * collateral (PCCS unreachable) is the only typed failure, because it says nothing about the quote.
 */
export const verifyTdxQuote = (
  quote: Uint8Array,
  options: VerifyTdxOptions & { readonly pccsUrl: string },
): Effect.Effect<TdxVerification, CollateralUnavailable> =>
  Effect.gen(function* () {
    const now = options.nowSeconds ?? Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const collateral = options.collateral ?? (yield* fetchTdxCollateral(quote, options.pccsUrl))
    const accepted = options.acceptedTcbStatuses ?? DEFAULT_ACCEPTED_TCB
    return yield* Effect.promise(async (): Promise<TdxVerification> => {
      const dcap = await loadDcap()
      try {
        const verified = dcap.verify(quote, collateral as Parameters<Dcap["verify"]>[1], now)
        const td = verified.report.asTd15()?.base ?? verified.report.asTd10()
        if (td === null)
          return { _tag: "Failed", reason: "the quote is an SGX quote, not a TDX quote", verifiedAt: now }
        return {
          _tag: "Verified",
          tcbStatus: verified.status,
          advisoryIds: [...verified.advisory_ids],
          tcbAccepted: accepted.includes(verified.status),
          measurements: {
            reportData: hex(td.reportData),
            mrTd: hex(td.mrTd),
            rtmr0: hex(td.rtMr0),
            rtmr1: hex(td.rtMr1),
            rtmr2: hex(td.rtMr2),
            rtmr3: hex(td.rtMr3),
          },
          verifiedAt: now,
        }
      } catch (e) {
        return { _tag: "Failed", reason: e instanceof Error ? e.message : String(e), verifiedAt: now }
      }
    })
  })
