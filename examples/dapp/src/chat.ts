/**
 * One chat answer through the verifying fetch: the text as it streams in, then a badge with how far it was verified
 * (or a visible failure), and what it cost. The fetch checks the provider's TEE signature before a non-stream answer
 * resolves, and before a stream ends; `onExchange` reports the verdict and the usage record either way.
 */
import { type Broker, formatZG, type ServiceView, type UsageRecord } from "@0g-compute/sdk"
import { el } from "./view.js"

interface Exchange {
  readonly record: UsageRecord
  readonly receipt: { readonly _tag: string; readonly level?: string } | undefined
  readonly error: Error | undefined
}

const decoder = new TextDecoder()

/** The content deltas in a chunk of SSE text; a partial last line is returned for the next chunk. */
const sseDeltas = (buffered: string): { deltas: string[]; rest: string } => {
  const lines = buffered.split("\n")
  const rest = lines.pop() ?? ""
  const deltas: string[] = []
  for (const line of lines) {
    if (!line.startsWith("data:")) continue
    const data = line.slice(5).trim()
    if (data === "" || data === "[DONE]") continue
    try {
      const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }> }
      const text = chunk.choices?.[0]?.delta?.content
      if (typeof text === "string") deltas.push(text)
    } catch {
      // A chunk that is not JSON is left out of the text; the signature check decides whether the answer stands.
    }
  }
  return { deltas, rest }
}

const tagOf = (e: unknown) =>
  typeof e === "object" && e !== null && "_tag" in e ? String((e as { _tag: unknown })._tag) : "Error"

const renderVerdict = (badge: HTMLElement, exchange: Exchange | undefined, failure: unknown) => {
  const level = exchange?.receipt?.level ?? exchange?.record.level
  const error = exchange?.error ?? failure
  if (exchange?.receipt !== undefined && error === undefined) {
    badge.className = "badge verified"
    badge.dataset.verified = "true"
    badge.dataset.level = level ?? "unknown"
    badge.textContent = `✓ ${exchange.receipt._tag === "Verified" ? "verified" : "signed, binding unknown"} · ${level ?? "level n/a"}`
    return
  }
  badge.className = "badge failed"
  badge.dataset.verified = "false"
  badge.dataset.level = "none"
  badge.textContent = `✗ NOT verified · ${tagOf(error)}`
  if (error instanceof Error) badge.title = error.message
}

const renderUsage = (usage: HTMLElement, record: UsageRecord | undefined) => {
  if (record === undefined) {
    usage.textContent = "usage: not reported"
    return
  }
  usage.dataset.fee = record.fee.toString()
  usage.textContent =
    `${record.promptTokens} prompt + ${record.completionTokens} completion tokens · fee ${formatZG(record.fee)} 0G` +
    (record.feeUnknown === true ? " (provider billed an unknown amount)" : "")
}

/** Sends one prompt and renders the answer into `list`; resolves when the answer is complete and judged. */
export const sendChat = async (
  broker: Broker,
  service: ServiceView,
  prompt: string,
  stream: boolean,
  list: HTMLElement,
): Promise<void> => {
  const text = el("div", { className: "answer" })
  const badge = el("span", { className: "badge pending", text: "verifying…" })
  const usage = el("div", { className: "usage" })
  list.append(
    el("li", { className: "message", data: { stream: String(stream) } }, [
      el("div", { className: "prompt", text: `› ${prompt}` }),
      text,
      badge,
      usage,
    ]),
  )
  let exchange: Exchange | undefined
  const fetch = broker.inference.fetch(service.provider, {
    onExchange: (r) => {
      exchange = r
    },
  })
  let failure: unknown
  try {
    const response = await fetch(`${service.url}/v1/proxy/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: service.model, messages: [{ role: "user", content: prompt }], stream }),
    })
    if (stream && response.body !== null) {
      const reader = response.body.getReader()
      let buffered = ""
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        const parsed = sseDeltas(buffered + decoder.decode(value, { stream: true }))
        buffered = parsed.rest
        for (const d of parsed.deltas) text.textContent = (text.textContent ?? "") + d
      }
    } else {
      const json = (await response.json()) as { choices?: Array<{ message?: { content?: string } }> }
      text.textContent = json.choices?.[0]?.message?.content ?? ""
    }
  } catch (e) {
    failure = e
  }
  renderVerdict(badge, exchange, failure)
  renderUsage(usage, exchange?.record)
}
