/**
 * A genuine Intel TDX quote checked in the page: the sample quote and collateral shipped with the inference package
 * (public sample data), verified by the browser-safe DCAP verifier, at a time inside the collateral's validity window
 * (sample collateral expires; a live provider's quote is checked against fresh collateral from a PCCS).
 */
import { type TdxCollateral, verifyTdxQuote } from "@0g-compute/inference"
import { Effect } from "effect"
import quoteUrl from "../../../packages/inference/src/testing/tdx/tdx_quote?url"
import collateralUrl from "../../../packages/inference/src/testing/tdx/tdx_quote_collateral.json?url"
import { $, el } from "./view.js"

export const checkSampleQuote = async (tamper: boolean): Promise<void> => {
  const [quoteBytes, collateral] = await Promise.all([
    fetch(quoteUrl).then((r) => r.arrayBuffer()),
    fetch(collateralUrl).then((r) => r.json() as Promise<TdxCollateral>),
  ])
  const quote = new Uint8Array(quoteBytes)
  // A byte inside the signed TD report body: any change there must break the quote's signature chain.
  if (tamper) quote[100] = (quote[100] ?? 0) ^ 0x01
  const issued = Date.parse((JSON.parse(collateral.tcb_info) as { issueDate: string }).issueDate) / 1000
  const v = await Effect.runPromise(
    verifyTdxQuote(quote, { collateral, nowSeconds: issued + 3600, pccsUrl: "http://127.0.0.1:9/unused" }),
  )
  const out = $("tdx-result")
  out.dataset.verdict = v._tag
  if (v._tag === "Failed") {
    out.replaceChildren(el("span", { className: "badge failed", text: `✗ quote rejected: ${v.reason}` }))
    return
  }
  out.replaceChildren(
    el("span", { className: "badge verified", text: `✓ genuine TDX quote · TCB ${v.tcbStatus}` }),
    el("div", { className: "usage", text: `MRTD ${v.measurements.mrTd.slice(0, 24)}…` }),
    el("div", {
      className: "usage",
      data: { reportData: v.measurements.reportData },
      text: `report data ${v.measurements.reportData.slice(0, 24)}…`,
    }),
  )
}
