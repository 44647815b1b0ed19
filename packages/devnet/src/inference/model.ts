/**
 * The offline "model": deterministic, no network. It echoes the last user message (`Echo: <words>`), counts tokens
 * as whitespace-separated words and answers in OpenAI's chat-completion shapes, as JSON or as SSE chunks with a
 * final usage chunk and `data: [DONE]`. It plays the upstream: the relay treats its output like any backend's.
 */
import type { OutgoingHttpHeaders } from "node:http"
import { isRecord } from "@0g-compute/core"
import { wordCount } from "./billing.js"
import type { PromptCache } from "./prompt-cache.js"

/** What a backend answered: status, headers and the body as the chunks it sent. */
export interface SourceResponse {
  readonly status: number
  readonly headers: OutgoingHttpHeaders
  readonly body: AsyncIterable<Uint8Array>
  /** Stops producing (the relay gave up on the response). */
  readonly cancel: () => void
}

const encoder = new TextEncoder()

/** A message's text: a string, or the `text` of its content parts. */
const textOf = (content: unknown): string => {
  if (typeof content === "string") return content
  if (!Array.isArray(content)) return ""
  return content
    .map((p) => (isRecord(p) && typeof p.text === "string" ? p.text : ""))
    .filter((s) => s.length > 0)
    .join(" ")
}

const openAiError = (status: number, message: string, code: string | null, param: string | null): SourceResponse => {
  const body = encoder.encode(JSON.stringify({ error: { message, type: "invalid_request_error", param, code } }))
  return once(status, { "content-type": "application/json" }, body)
}

const once = (status: number, headers: OutgoingHttpHeaders, bytes: Uint8Array): SourceResponse => ({
  status,
  headers,
  body: (async function* () {
    yield bytes
  })(),
  cancel: () => {},
})

const positiveInt = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : undefined

export interface OfflineOptions {
  /** Further model names answered (a multi-model provider's entries, deployed LoRA adapters). */
  readonly alsoServes?: (model: string) => boolean
  /** Reports cache reads/writes in `usage` (cache billing). */
  readonly cache?: PromptCache | undefined
  /** Reports this `completion_tokens` instead of the words generated (fault `reportCompletionTokens`). */
  readonly completionTokens?: number | undefined
  /** Adds `Usage: {completion_tokens: n}` after `usage` (fault `shadowUsage`). */
  readonly shadowUsage?: number | undefined
  /** The key of the usage object (fault `usageKey`; default `usage`). */
  readonly usageKey?: string | undefined
  /** Non-stream answers in Anthropic's message shape (fault `anthropicShape`). */
  readonly anthropicShape?: boolean | undefined
  /** Streams: an error or a huge event, then a second usage chunk (fault `lateUsage`). */
  readonly lateUsage?: { readonly completionTokens: number; readonly after: "errorEvent" | "hugeEvent" } | undefined
}

const HUGE_EVENT_CHARS = 2 * 1024 * 1024

/** Answers one chat-completions request (already parsed) for `model`. */
export const offlineCompletion = (
  request: Record<string, unknown>,
  model: string,
  chatKey: string,
  options: OfflineOptions = {},
): SourceResponse => {
  const served = typeof request.model === "string" && (options.alsoServes?.(request.model) ?? false)
  if (request.model !== model && !served) {
    return openAiError(404, `The model \`${String(request.model)}\` does not exist`, "model_not_found", "model")
  }
  const messages = request.messages
  if (!Array.isArray(messages) || messages.length === 0) {
    return openAiError(400, "'messages' must be a non-empty array", null, "messages")
  }
  const texts = messages.map((m) => (isRecord(m) ? textOf(m.content) : ""))
  const promptTokens = texts.reduce((n, t) => n + wordCount(t), 0)
  const lastUser = [...messages].reverse().find((m) => isRecord(m) && m.role === "user")
  const words = [
    "Echo:",
    ...textOf(isRecord(lastUser) ? lastUser.content : "")
      .split(/\s+/)
      .filter((w) => w.length > 0),
  ]
  const limit = positiveInt(request.max_completion_tokens) ?? positiveInt(request.max_tokens)
  const reply = limit === undefined ? words : words.slice(0, limit)
  const cached =
    options.cache?.use(
      String(request.model),
      messages.map((m) => (isRecord(m) ? String(m.role) : "")),
      texts,
    ) ?? undefined
  const completionTokens = options.completionTokens ?? reply.length
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    ...(cached === undefined
      ? {}
      : {
          prompt_tokens_details: { cached_tokens: cached.cachedTokens },
          ...(cached.cacheWriteTokens > 0 ? { cache_write_tokens: cached.cacheWriteTokens } : {}),
        }),
  }
  const shadow = options.shadowUsage === undefined ? {} : { Usage: { completion_tokens: options.shadowUsage } }
  const usageField = { [options.usageKey ?? "usage"]: usage, ...shadow }
  const answeredAs = String(request.model)
  const id = `chatcmpl-${chatKey}`
  const created = Math.floor(Date.now() / 1000)
  const finish = limit !== undefined && reply.length < words.length ? "length" : "stop"

  if (request.stream !== true && options.anthropicShape === true) {
    const message = {
      id,
      type: "message",
      role: "assistant",
      model: answeredAs,
      content: [{ type: "text", text: reply.join(" ") }],
      stop_reason: "end_turn",
      usage: { input_tokens: promptTokens, output_tokens: usage.completion_tokens },
    }
    return once(200, { "content-type": "application/json" }, encoder.encode(JSON.stringify(message)))
  }
  if (request.stream !== true) {
    const body = {
      id,
      object: "chat.completion",
      created,
      model: answeredAs,
      choices: [{ index: 0, message: { role: "assistant", content: reply.join(" ") }, finish_reason: finish }],
      ...usageField,
    }
    return once(200, { "content-type": "application/json" }, encoder.encode(JSON.stringify(body)))
  }

  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    encoder.encode(
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: answeredAs, choices, ...extra })}\n\n`,
    )
  const late = options.lateUsage
  let cancelled = false
  return {
    status: 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    body: (async function* () {
      const parts = [
        chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]),
        ...reply.map((w, i) => chunk([{ index: 0, delta: { content: i === 0 ? w : ` ${w}` }, finish_reason: null }])),
        chunk([{ index: 0, delta: {}, finish_reason: finish }]),
        // stream_options.include_usage is always on (the provider forces it): a final chunk with empty choices.
        chunk([], usageField),
        ...(late === undefined
          ? []
          : [
              late.after === "errorEvent"
                ? encoder.encode(`data: ${JSON.stringify({ error: { message: "upstream hiccup", code: 500 } })}\n\n`)
                : chunk([{ index: 0, delta: { content: "x".repeat(HUGE_EVENT_CHARS) }, finish_reason: null }]),
              chunk([], { usage: { ...usage, completion_tokens: late.completionTokens } }),
            ]),
        encoder.encode("data: [DONE]\n\n"),
      ]
      for (const p of parts) {
        if (cancelled) return
        yield p
      }
    })(),
    cancel: () => {
      cancelled = true
    },
  }
}
