/** Small pieces of one exchange: request ids, the words-of-choices billing fallback, a bounded body as a stream. */
import type { BoundedResponse } from "@0g-compute/core"
import { isRecord } from "@0g-compute/core"
import { WordCounter } from "../verify/sse.js"

/**
 * Request ids: one random UUID per process whose last 12 hex digits count requests — unique, UUID-shaped, and no
 * entropy draw per request (the id only correlates a response with its usage record; the provider never sees it).
 */
let idBase: string | undefined
let idCount = 0
const hex4 = () =>
  Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, "0")
export const newRequestId = () => {
  idBase ??=
    typeof globalThis.crypto?.randomUUID === "function"
      ? globalThis.crypto.randomUUID().slice(0, 24)
      : `${hex4()}${hex4()}-${hex4()}-4${hex4().slice(1)}-8${hex4().slice(1)}-`
  idCount = (idCount + 1) % 0x1000000000000
  return `${idBase}${idCount.toString(16).padStart(12, "0")}`
}

/**
 * Words of the generated messages: the provider's billing fallback when a response carries no usage. The broker
 * joins every choice's content without a separator before counting (processSingleResponse).
 */
export const choiceWords = (choices: unknown): number => {
  const words = new WordCounter()
  if (!Array.isArray(choices)) return 0
  for (const c of choices) {
    const content = isRecord(c) && isRecord(c.message) ? c.message.content : undefined
    if (typeof content === "string") words.add(content)
  }
  return words.count
}

/** A bounded response body as a stream: each pull one bounded read; cancelling closes the connection. */
export const boundedBody = (r: BoundedResponse): ReadableStream<Uint8Array> | null =>
  r.response.body === null
    ? null
    : new ReadableStream<Uint8Array>({
        async pull(controller) {
          const chunk = await r.read()
          if (chunk === undefined) controller.close()
          else controller.enqueue(chunk)
        },
        cancel(reason) {
          r.cancel(reason)
        },
      })
