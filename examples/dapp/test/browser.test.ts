/**
 * The dApp in a real browser (Debian's Chromium, headless, through playwright-core) against a devnet: an injected
 * EIP-1193 wallet backed by a devnet test key signs for real over the devnet RPC; the test clicks through
 * connect → fund → attest → acknowledge → chat (plain and stream) and reads what the page shows, including a
 * tampered answer that must show as NOT verified. One browser launch for the whole file.
 */
import { existsSync } from "node:fs"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { useStarted } from "@0g-compute/core/testing/hooks"
import { startTestDevnet } from "@0g-compute/devnet/testing"
import { computeRoot } from "@0g-compute/storage"
import { Redacted } from "effect"
import { chromium } from "playwright-core"
import { describe, expect, it } from "vitest"
import { buildAndServe, dappRoot } from "../scripts/serve.js"
import { measureBuiltPage, measureOfficialSdk } from "./bundle.js"
import { installTestWallet } from "./wallet.js"

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
// Without the background-networking flags Chromium keeps dialling out from this closed network.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]
/** The report data of the sample quote (packages/inference/src/testing/tdx). */
const SAMPLE_REPORT_DATA =
  "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20"
/** gzip bytes of the page's up-front JavaScript (ledger + inference + verification, no worker, no lazy TDX chunk). */
const BUNDLE_BUDGET_GZIP = 205_000

describe("dApp in Chromium against the devnet", () => {
  const pageErrors: string[] = []

  const env = useStarted(async (onStop) => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`)
    const profile = await mkdtemp(join(tmpdir(), "zg-dapp-chromium-"))
    onStop(() => rm(profile, { recursive: true, force: true }))
    const outDir = await mkdtemp(join(tmpdir(), "zg-dapp-dist-"))
    onStop(() => rm(outDir, { recursive: true, force: true }))
    // Each stop is registered as its part comes up, so a build that fails still stops the devnet.
    const stopped = <T>(starting: Promise<T>, stop: (t: T) => unknown) =>
      starting.then((t) => {
        onStop(() => stop(t))
        return t
      })
    const [devnet, served] = await Promise.all([
      stopped(startTestDevnet(), (d) => d.stop()),
      stopped(buildAndServe(outDir), (s) => s.close()),
    ])
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1100, height: 1500 },
    })
    onStop(() => context.close())
    const page = context.pages()[0] ?? (await context.newPage())
    page.on("pageerror", (e) => pageErrors.push(e.message))
    const key = Redacted.value(devnet.accounts.users[0]!.privateKey)
    const wallet = await installTestWallet(page, devnet.rpcUrl, key)
    onStop(() => wallet.close())
    await page.goto(`${served.url}?network=devnet&rpc=${encodeURIComponent(devnet.rpcUrl)}`)
    return { devnet, served, page, wallet, key }
  }, 180_000)

  /** Clicks a button and waits until its action finished (the page disables it while running); the error shown, if any. */
  const click = async (id: string): Promise<string | undefined> => {
    await env.page.click(`#${id}`)
    await env.page.waitForSelector(`#${id}:not([disabled])`)
    const error = env.page.locator("#error")
    return (await error.isVisible()) ? ((await error.textContent()) ?? "") : undefined
  }
  const text = async (selector: string) => ((await env.page.textContent(selector)) ?? "").trim()

  /** Sends a prompt; resolves with the new answer's text, badge and usage once its verdict is shown. */
  const chat = async (prompt: string, stream: boolean) => {
    const before = await env.page.locator("#messages li").count()
    await env.page.fill("#prompt", prompt)
    await env.page.setChecked("#stream", stream)
    expect(await click("send")).toBeUndefined()
    const item = env.page.locator("#messages li").nth(before)
    const badge = item.locator(".badge")
    await item.locator(".badge:not(.pending)").waitFor()
    return {
      text: ((await item.locator(".answer").textContent()) ?? "").trim(),
      verified: await badge.getAttribute("data-verified"),
      level: await badge.getAttribute("data-level"),
      badge: ((await badge.textContent()) ?? "").trim(),
      usage: ((await item.locator(".usage").textContent()) ?? "").trim(),
      fee: await item.locator(".usage").getAttribute("data-fee"),
    }
  }

  it("connects the injected wallet, reads the chain from the page and lists the provider with prices", async () => {
    expect(await click("connect")).toBeUndefined()
    expect(await env.page.getAttribute("#account", "data-address")).toBe(env.wallet.address)
    expect(await text("#ledger-total")).toBe("no ledger yet")
    const row = env.page.locator("#providers tbody tr")
    expect(await row.count()).toBe(1)
    const cells = await row.first().locator("td").allTextContents()
    const svc = env.devnet.services.inference[0]!
    expect(cells[1]).toBe(svc.model)
    expect(cells[2]).toBe(`${Number(svc.inputPrice * 1_000_000n) / 1e18} 0G`)
    expect(cells[4]).toMatch(/TeeML/i)
  })

  it("creates the ledger with a transaction the wallet sends", async () => {
    await env.page.fill("#deposit-amount", "5")
    expect(await click("deposit")).toBeUndefined()
    expect(await text("#ledger-total")).toBe("5 0G")
    expect(env.wallet.calls).toContain("eth_sendTransaction")
  })

  it("runs the attestation report and shows each check", async () => {
    await env.page.click(`#providers [data-provider="${env.devnet.inference[0]!.providerAddress}"]`)
    expect(await click("attest")).toBeUndefined()
    expect(await env.page.getAttribute("#attest-verdict", "data-verdict")).toBe("devnet")
    const statuses = await env.page
      .locator("#checks li")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-status")))
    expect(statuses.length).toBeGreaterThan(3)
    expect(statuses).not.toContain("fail")
  })

  it("acknowledges the provider and funds a low sub-account, then tops it up", async () => {
    await env.page.fill("#fund-amount", "1.2")
    expect(await click("acknowledge")).toBeUndefined()
    expect(await env.page.getAttribute("#ack-result", "data-on-chain")).toBe("created")
    expect(await env.page.locator("#subaccounts tbody tr").allTextContents()).toEqual([
      expect.stringContaining("1.2 0G"),
    ])
    expect(await env.page.getAttribute("#funding", "data-low")).toBe("true")
    expect(await click("topup")).toBeUndefined()
    expect(await text("#topup-result")).toMatch(/^topped up [\d.]+ 0G$/)
    expect(await env.page.getAttribute("#funding", "data-low")).toBe("false")
  })

  it("shows a plain answer as verified, with its level, usage and fee", async () => {
    const a = await chat("plain hello", false)
    expect(a.text).toBe("Echo: plain hello")
    expect(a.verified).toBe("true")
    expect(["bytes-bound", "signer-bound"]).toContain(a.level)
    expect(BigInt(a.fee ?? "0")).toBeGreaterThan(0n)
    expect(a.usage).toMatch(/\d+ prompt \+ \d+ completion tokens · fee/)
  })

  it("streams an answer and marks it verified when it completes (README screenshot)", async () => {
    const a = await chat("streamed hello from Chromium", true)
    expect(a.text).toBe("Echo: streamed hello from Chromium")
    expect(a.verified).toBe("true")
    expect(a.badge).toMatch(/^✓ verified/)
    const png = await env.page.screenshot({ fullPage: true })
    expect([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join("")).toBe("PNG")
    if (process.env.DAPP_SCREENSHOT === "1") await writeFile(join(dappRoot, "screenshot.png"), png)
  })

  it("shows a tampered answer as NOT verified (stream and plain)", async () => {
    env.devnet.inference[0]!.faults.set({ flipResponseByte: true })
    try {
      const streamed = await chat("tamper with this stream", true)
      expect(streamed.verified).toBe("false")
      expect(streamed.badge).toMatch(/^✗ NOT verified · ResponseTampered/)
      const plain = await chat("tamper with this", false)
      expect(plain.verified).toBe("false")
      expect(plain.badge).toMatch(/^✗ NOT verified · ResponseTampered/)
      expect(plain.text).toBe("")
    } finally {
      env.devnet.inference[0]!.faults.clear()
    }
    expect(await text("#usage-total")).toMatch(/^4 answers \(2 verified, 2 failed\)/)
  })

  it("signed one session token for all answers, and no key ever entered the page", async () => {
    expect(env.wallet.calls.filter((m) => m === "personal_sign")).toHaveLength(1)
    expect(await env.page.content()).not.toContain(env.key.slice(2))
    expect(pageErrors).toEqual([])
  })

  it("verifies a genuine TDX quote in the page, and rejects it with one byte flipped", async () => {
    expect(await click("tdx")).toBeUndefined()
    expect(await env.page.getAttribute("#tdx-result", "data-verdict")).toBe("Verified")
    expect(await text("#tdx-result")).toContain("TCB UpToDate")
    expect(await env.page.getAttribute("#tdx-result [data-report-data]", "data-report-data")).toBe(SAMPLE_REPORT_DATA)
    await env.page.setChecked("#tdx-tamper", true)
    expect(await click("tdx")).toBeUndefined()
    expect(await env.page.getAttribute("#tdx-result", "data-verdict")).toBe("Failed")
    expect(await text("#tdx-result")).toMatch(/^✗ quote rejected: /)
  })

  it("meets the provider's CORS as the broker's: a request with a header it does not list is blocked", async () => {
    const attempt = (extra: Record<string, string>) =>
      env.page.evaluate(
        async ({ url, headers }) => {
          try {
            const r = await fetch(`${url}/v1/proxy/chat/completions`, { method: "POST", headers, body: "{}" })
            return `status ${r.status}`
          } catch {
            return "blocked"
          }
        },
        { url: env.devnet.inference[0]!.url, headers: { "content-type": "application/json", ...extra } },
      )
    expect(await attempt({ authorization: "Bearer app-sk-none" })).toMatch(/^status 4\d\d$/)
    expect(await attempt({ "x-stainless-os": "Linux" })).toBe("blocked")
  })

  it("hashes a picked file in a Web Worker to the same storage root as Node", async () => {
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 31) % 251)
    await env.page.setInputFiles("#file", {
      name: "data.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.from(bytes),
    })
    await env.page.waitForSelector(`#root[data-size="${bytes.length}"]`)
    expect(await text("#root")).toBe((await computeRoot(bytes)).root)
  })

  it("keeps the page's JavaScript within budget, and reports the official SDK's for the same calls", async () => {
    const ours = await measureBuiltPage(env.served.outDir)
    const official = await measureOfficialSdk()
    const report = {
      oursGzip: ours.gzip,
      oursRaw: ours.raw,
      officialGzipLowerBound: official.gzip,
      officialRaw: official.raw,
      ratio: Number((ours.gzip / official.gzip).toFixed(3)),
    }
    await writeFile(join(env.served.outDir, "bundle-sizes.json"), JSON.stringify(report))
    process.stdout.write(`dapp bundle sizes: ${JSON.stringify(report)}\n`)
    expect(ours.files.length).toBeGreaterThan(0)
    expect(ours.gzip).toBeLessThan(BUNDLE_BUDGET_GZIP)
    expect(ours.gzip).toBeLessThan(official.gzip)
    expect(ours.gzip * 2).toBeLessThanOrEqual(official.gzip) // issue 15: at most half the official SDK's
    expect(JSON.parse(await readFile(join(env.served.outDir, "bundle-sizes.json"), "utf8")).oursGzip).toBe(ours.gzip)
  })
})
