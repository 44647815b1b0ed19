/**
 * The dApp: an EIP-1193 wallet (window.ethereum) signs; the page never holds a key. Chain reads go straight to the
 * RPC (`?rpc=`, default the devnet's), transactions and the once-per-session token signature go through the wallet.
 */
import { type Broker, createBroker, formatZG, isNetworkName, type ServiceView } from "@0g-compute/sdk"
import { BrowserProvider, type Eip1193Provider } from "ethers"
import { sendChat } from "./chat.js"
import type { HashReply } from "./hash-worker.js"
import { $, action, el, row, setStatus, short, showError } from "./view.js"

declare global {
  interface Window {
    ethereum?: Eip1193Provider
  }
}

const params = new URLSearchParams(location.search)
const network = params.get("network") ?? "devnet"
const rpcUrl = params.get("rpc") ?? "http://127.0.0.1:8545"

let broker: Broker | undefined
let selected: ServiceView | undefined

const need = (): Broker => {
  if (broker === undefined) throw new Error("connect a wallet first")
  return broker
}
const needService = (): ServiceView => {
  if (selected === undefined) throw new Error("select a provider first")
  return selected
}

const renderLedger = async () => {
  const b = need()
  const tbody = $("subaccounts").querySelector("tbody") as HTMLElement
  const ledger = await b.ledger.get().catch((e: unknown) => {
    if ((e as { _tag?: string })._tag === "LedgerNotFound") return undefined
    throw e
  })
  $("ledger-total").textContent = ledger === undefined ? "no ledger yet" : `${formatZG(ledger.total)} 0G`
  $("ledger-available").textContent = ledger === undefined ? "–" : `${formatZG(ledger.available)} 0G`
  $("ledger-locked").textContent = ledger === undefined ? "–" : `${formatZG(ledger.locked)} 0G`
  const subs = ledger === undefined ? [] : await b.ledger.listSubAccounts("inference")
  tbody.replaceChildren(
    ...subs.map((s) =>
      row([short(s.provider), `${formatZG(s.balance)} 0G`, `${formatZG(s.pendingRefund)} 0G`, String(s.acknowledged)]),
    ),
  )
}

const renderProviders = async () => {
  const b = need()
  const services = await b.inference.listAllServices()
  const tbody = $("providers").querySelector("tbody") as HTMLElement
  tbody.replaceChildren(
    ...services.map((s) => {
      const pick = el("button", { text: "Select", data: { provider: s.provider } })
      pick.type = "button"
      pick.addEventListener("click", () => select(s))
      const verifiability =
        s.notVerifiableReason === undefined ? s.verifiability : `not verifiable: ${s.notVerifiableReason}`
      return row([
        short(s.provider),
        s.model,
        `${s.inputPrice.perMillionZG} 0G`,
        `${s.outputPrice.perMillionZG} 0G`,
        verifiability,
        pick,
      ])
    }),
  )
}

const renderFunding = async () => {
  const s = await need().inference.fundingStatus(needService().provider)
  const low = s.deficit > 0n
  $("funding").textContent = s.exists
    ? `${formatZG(s.spendable)} 0G spendable${low ? ` · low: top-up of ${formatZG(s.deficit)} 0G due` : " · ok"}`
    : "no sub-account yet"
  $("funding").dataset.low = String(low)
}

const select = (s: ServiceView) => {
  selected = s
  $("selected").textContent = `${s.provider} (${s.model})`
  $("provider-section").hidden = false
  $("chat-section").hidden = false
  $("checks").replaceChildren()
  $("attest-verdict").textContent = ""
  renderFunding().catch(showError)
}

const renderUsageTotal = () => {
  const t = need().inference.usage().total
  $("usage-total").textContent =
    `${t.requests} answers (${t.verified} verified, ${t.failed} failed) · ${t.promptTokens + t.completionTokens} tokens · ${formatZG(t.fee)} 0G`
}

action("connect", "Connecting", async () => {
  if (window.ethereum === undefined) throw new Error("no EIP-1193 wallet in this browser (window.ethereum)")
  if (!isNetworkName(network)) throw new Error(`unknown network ${network}`)
  const provider = new BrowserProvider(window.ethereum)
  await provider.send("eth_requestAccounts", [])
  const signer = await provider.getSigner()
  await broker?.close()
  broker = await createBroker(signer, { network, rpcUrl })
  $("account").textContent = `${broker.address} · ${network}`
  $("account").dataset.address = broker.address
  document.querySelector("main")?.removeAttribute("hidden")
  await Promise.all([renderLedger(), renderProviders()])
})

action("deposit", "Funding the ledger", async () => {
  const b = need()
  const amount = $<HTMLInputElement>("deposit-amount").value.trim()
  const exists = await b.ledger.get().then(
    () => true,
    (e: { _tag?: string }) => (e._tag === "LedgerNotFound" ? false : Promise.reject(e)),
  )
  await (exists ? b.ledger.deposit(amount) : b.ledger.add(amount))
  await renderLedger()
})

action("attest", "Attestation report", async () => {
  const report = await need().inference.attestationReport(needService().provider)
  $("attest-verdict").textContent = `verdict: ${report.verdict} (${report.environment})`
  $("attest-verdict").dataset.verdict = report.verdict
  $("checks").replaceChildren(
    ...Object.entries(report.checks).map(([name, check]) =>
      el("li", { className: `check-${check.status}`, data: { check: name, status: check.status } }, [
        document.createTextNode(`${name}: ${check.status} — ${check.detail}`),
      ]),
    ),
  )
})

action("acknowledge", "Acknowledging", async () => {
  const fund = $<HTMLInputElement>("fund-amount").value.trim()
  // The devnet's quote is JSON-only; it is accepted on the local devnet chain, never on a live network.
  const result = await need().inference.acknowledge(needService().provider, {
    allowDevnet: network === "devnet",
    ...(fund === "" ? {} : { fund }),
  })
  $("ack-result").textContent = `${result.onChain} · attestation ${result.report.verdict}`
  $("ack-result").dataset.onChain = result.onChain
  await Promise.all([renderLedger(), renderFunding()])
})

action("topup", "Topping up", async () => {
  const r = await need().inference.ensureFunded(needService().provider)
  $("topup-result").textContent = r.transferred > 0n ? `topped up ${formatZG(r.transferred)} 0G` : "no top-up due"
  await Promise.all([renderLedger(), renderFunding()])
})

action("send", "Chatting", async () => {
  const prompt = $<HTMLTextAreaElement>("prompt").value
  const stream = $<HTMLInputElement>("stream").checked
  await sendChat(need(), needService(), prompt, stream, $("messages"))
  renderUsageTotal()
  await renderFunding()
})

// The sample-quote check loads when asked for: most visits never press it.
action("tdx", "TDX quote", async () =>
  (await import("./tdx.js")).checkSampleQuote($<HTMLInputElement>("tdx-tamper").checked),
)

let worker: Worker | undefined
$<HTMLInputElement>("file").addEventListener("change", (event) => {
  const file = (event.target as HTMLInputElement).files?.[0]
  if (file === undefined) return
  worker ??= new Worker(new URL("./hash-worker.ts", import.meta.url), { type: "module" })
  $("root").textContent = "hashing…"
  $("root").dataset.size = ""
  worker.onmessage = (m: MessageEvent<HashReply>) => {
    const r = m.data
    if (r.type === "progress") $("hash-progress").textContent = `${r.bytes} / ${r.totalBytes ?? "?"} bytes`
    else if (r.type === "done") {
      $("root").textContent = r.root
      $("root").dataset.size = String(r.size)
    } else showError(new Error(r.message))
  }
  worker.postMessage({ file })
})

setStatus(`network ${network}, RPC ${rpcUrl}`)
