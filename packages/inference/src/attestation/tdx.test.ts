/**
 * Real Intel TDX quote verification, offline, on the genuine sample quote and its collateral
 * (shared/reference/tdx), at a fixed time inside the collateral's validity window. Also: collateral fetched from a
 * local PCCS (127.0.0.1) serving the same data in the Intel PCS v4 layout.
 */
import { readFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { assessQuote } from "./report.js"
import { type TdxCollateral, verifyTdxQuote } from "./tdx.js"

// Verbatim copies of shared/reference/tdx (public sample data from Phala-Network/dcap-qvl).
const ref = new URL("../testing/tdx/", import.meta.url)
const quote = new Uint8Array(readFileSync(new URL("tdx_quote", ref)))
const collateral = JSON.parse(readFileSync(new URL("tdx_quote_collateral.json", ref), "utf8")) as TdxCollateral
const issueDate = Date.parse((JSON.parse(collateral.tcb_info) as { issueDate: string }).issueDate) / 1000
const NOW = issueDate + 3600
const QUOTE_REPORT_DATA =
  "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20"

const flipped = (offset: number) => {
  const copy = Uint8Array.from(quote)
  copy[offset] = (copy[offset] ?? 0) ^ 0x01
  return copy
}
const verifyAt = (q: Uint8Array, nowSeconds = NOW) =>
  Effect.runPromise(verifyTdxQuote(q, { collateral, nowSeconds, pccsUrl: "http://127.0.0.1:9/unused" }))

describe("DCAP verification of a genuine TDX quote", () => {
  it("verifies the sample quote as UpToDate and exposes its measurements", async () => {
    const v = await verifyAt(quote)
    expect(v._tag).toBe("Verified")
    if (v._tag !== "Verified") return
    expect(v.tcbStatus).toBe("UpToDate")
    expect(v.tcbAccepted).toBe(true)
    expect(v.measurements.reportData).toBe(QUOTE_REPORT_DATA)
    expect(v.measurements.rtmr3).toMatch(/^[0-9a-f]{96}$/)
  })

  it.each([
    ["header", 10],
    ["TD report body", 100],
    ["REPORTDATA", 600],
    ["quote signature", 650],
    ["QE report", 700],
  ])("fails when one byte of the %s is flipped", async (_where, offset) => {
    const v = await verifyAt(flipped(offset))
    expect(v._tag).toBe("Failed")
  })

  it("fails once the collateral has expired", async () => {
    const v = await verifyAt(quote, issueDate + 90 * 86400)
    expect(v).toMatchObject({ _tag: "Failed" })
    if (v._tag === "Failed") expect(v.reason).toMatch(/expired/i)
  })
})

describe("attestation report for a hardware quote", () => {
  const service = {
    provider: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    url: "http://127.0.0.1:1",
    teeSignerAddress: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    teeVerifier: "dstack",
  }
  const hex = Buffer.from(quote).toString("hex")

  it("reports the quote signature as verified but the signer binding as failed (REPORTDATA is no address)", async () => {
    const report = await Effect.runPromise(
      assessQuote(
        service,
        { body: { quote: hex, report_data: Buffer.from(QUOTE_REPORT_DATA, "hex").toString("base64"), event_log: [] } },
        { collateral, nowSeconds: NOW, pccsUrl: "http://127.0.0.1:9", fetchedAt: 0 },
      ),
    )
    expect(report.environment).toBe("tdx")
    expect(report.checks.quoteSignature.status).toBe("pass")
    expect(report.checks.signerBound.status).toBe("fail")
    expect(report.checks.eventLogReplay.status).toBe("fail")
    expect(report.verdict).toBe("unverified")
    expect(report.failed).toEqual(expect.arrayContaining(["signerBound", "composeHash", "eventLogReplay"]))
    expect(report.failed).not.toContain("quoteSignature")
  })

  it("catches a JSON report_data that differs from the quote's REPORTDATA", async () => {
    const claim = new Uint8Array(64)
    claim.set(new TextEncoder().encode(service.teeSignerAddress))
    const report = await Effect.runPromise(
      assessQuote(
        service,
        { body: { quote: hex, report_data: Buffer.from(claim).toString("base64") } },
        { collateral, nowSeconds: NOW, pccsUrl: "http://127.0.0.1:9", fetchedAt: 0 },
      ),
    )
    expect(report.checks.signerBound).toMatchObject({ status: "fail", detail: expect.stringMatching(/differs/) })
  })

  it("reports a flipped quote byte as a failed quote signature", async () => {
    const report = await Effect.runPromise(
      assessQuote(
        service,
        { body: { quote: Buffer.from(flipped(650)).toString("hex") } },
        { collateral, nowSeconds: NOW, pccsUrl: "http://127.0.0.1:9", fetchedAt: 0 },
      ),
    )
    expect(report.checks.quoteSignature.status).toBe("fail")
    expect(report.verdict).toBe("unverified")
  })
})

describe("collateral from a PCCS", () => {
  let server: Server
  let pccsUrl: string
  const requests: string[] = []
  beforeAll(async () => {
    const toBytes = (v: ReadonlyArray<number> | string) =>
      typeof v === "string" ? Buffer.from(v, "hex") : Buffer.from(Uint8Array.from(v))
    server = createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0] ?? ""
      requests.push(path)
      if (path.endsWith("/sgx/certification/v4/pckcrl")) {
        res.writeHead(200, { "SGX-PCK-CRL-Issuer-Chain": encodeURIComponent(collateral.pck_crl_issuer_chain) })
        res.end(toBytes(collateral.pck_crl))
      } else if (path.endsWith("/tdx/certification/v4/tcb")) {
        res.writeHead(200, { "TCB-Info-Issuer-Chain": encodeURIComponent(collateral.tcb_info_issuer_chain) })
        res.end(
          `{"tcbInfo":${collateral.tcb_info},"signature":"${toBytes(collateral.tcb_info_signature).toString("hex")}"}`,
        )
      } else if (path.endsWith("/tdx/certification/v4/qe/identity")) {
        res.writeHead(200, {
          "SGX-Enclave-Identity-Issuer-Chain": encodeURIComponent(collateral.qe_identity_issuer_chain),
        })
        res.end(
          `{"enclaveIdentity":${collateral.qe_identity},"signature":"${toBytes(collateral.qe_identity_signature).toString("hex")}"}`,
        )
      } else if (path.endsWith("/sgx/certification/v4/rootcacrl")) {
        res.end(toBytes(collateral.root_ca_crl).toString("hex"))
      } else {
        res.writeHead(404).end()
      }
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    pccsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it("fetches the collateral from the configured PCCS URL and verifies", async () => {
    const v = await Effect.runPromise(verifyTdxQuote(quote, { pccsUrl, nowSeconds: NOW }))
    expect(v).toMatchObject({ _tag: "Verified", tcbStatus: "UpToDate" })
    expect(requests).toEqual(expect.arrayContaining(["/tdx/certification/v4/tcb", "/tdx/certification/v4/qe/identity"]))
  })

  it("fails with CollateralUnavailable when the PCCS is down", async () => {
    const e = await Effect.runPromise(
      Effect.flip(verifyTdxQuote(quote, { pccsUrl: "http://127.0.0.1:9", nowSeconds: NOW })),
    )
    expect(e._tag).toBe("CollateralUnavailable")
  })
})
