/**
 * A billed exchange answered as a stream: the body is handed on as it arrives, verified as it passes (stream.ts, no
 * fiber per chunk), and settled (verified, priced, recorded) once, when it ends.
 */
import type { BoundedResponse } from "@0g-compute/core"
import { Cause, Effect, Exit } from "effect"
import type { InferenceConfigShape } from "../config.js"
import type { ServiceView } from "../service-view.js"
import { signatureKey } from "../verify/levels.js"
import { copyHeaders, type Prepared } from "./prepare.js"
import type { ExchangeBase, makeSettle } from "./settle.js"
import { streamFailure, verifyingStream } from "./stream.js"

export interface StreamExchange {
  readonly ex: BoundedResponse
  readonly svc: ServiceView
  readonly prepared: Prepared
  readonly base: ExchangeBase
  readonly headerChatId: string | undefined
  readonly extra: Record<string, string>
  readonly config: InferenceConfigShape
  readonly settle: ReturnType<typeof makeSettle>
  readonly callerSignal: AbortSignal | undefined
}

export const streamResponse = (s: StreamExchange): Response => {
  const { ex, svc, prepared, base, headerChatId, config, callerSignal } = s
  const response = ex.response
  const limits = {
    provider: svc.provider,
    url: prepared.url,
    maxEventBytes: config.maxSseEventBytes,
    drainAfterAbortMs: config.drainAfterAbortMs,
  }
  const body = verifyingStream(
    ex,
    limits,
    async (outcome) => {
      // The caller aborted (its signal): surface the abort itself, as fetch would, not a provider failure.
      const aborted = callerSignal?.aborted === true && outcome.readError !== undefined
      const early = aborted ? (outcome.readError as Error) : streamFailure(svc.provider, outcome)
      const scan = outcome.scanner
      scan.readTail()
      const seen = scan.usage ?? (scan.done ? { promptTokens: 0, completionTokens: scan.generatedWords } : undefined)
      // Cut off (a limit, the connection, the drain window): a later usage may follow that the broker bills.
      const tokens =
        seen !== undefined && outcome.readError !== undefined ? { ...seen, usageUncertain: true as const } : seen
      const chatId = signatureKey(svc, headerChatId, scan.id)
      // The one run of the stream's end: verify, price and record what passed.
      const exit = await Effect.runPromiseExit(
        s.settle(prepared, svc, base, chatId, outcome.responseHash, tokens, early),
      )
      if (Exit.isFailure(exit)) throw Cause.squash(exit.cause)
      return exit.value.error
    },
    callerSignal,
  )
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: copyHeaders(response.headers, s.extra),
  })
}
