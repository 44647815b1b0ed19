/**
 * One attempt at one provider, shared by the chat and media routes: reserve the request's maximum cost (a refusal lets
 * the caller try a cheaper provider), hand out the verifying fetch whose billed exchange settles the reservation, and
 * settle it unbilled when the provider never billed. Each reservation is settled exactly once.
 */
import { describeCause, runFacade } from "@0g-compute/core"
import { HttpFailure } from "@0g-compute/core/node"
import type { ExchangeResult } from "@0g-compute/inference"
import {
  attemptFailed,
  coolOverrun,
  type FailedAttempt,
  noProviderAvailable,
  providerFailureStatus,
  tagOf,
} from "@0g-compute/inference/node"
import type { ChatContext } from "./chat.js"
import { KeyBudgetExceeded } from "./errors.js"
import type { KeyInfo } from "./keys.js"
import type { Target } from "./routing.js"
import type { Settlement } from "./spend.js"

export interface Attempt {
  readonly started: number
  readonly fetch: ReturnType<ChatContext["fetchFor"]>
  /** The verified exchange, once the fetch recorded it. */
  readonly exchange: () => ExchangeResult | undefined
  /** The settle in flight or done, if any. */
  readonly settled: () => Promise<unknown> | undefined
  /** Marks the provider healthy after it answered, unless it billed more than was reserved (then it cools down). */
  readonly markUp: () => void
  /** Settles with no fee (the provider billed nothing), unless a billed exchange settled already. */
  readonly settleUnbilled: (status: number, e: unknown) => Promise<unknown>
  /**
   * After a send that failed: settles, then "gone" when the client left, "next" when the provider is marked down and
   * the next one may be tried; throws the provider's failure when it must not fail over.
   */
  readonly failed: (e: unknown, attempts: FailedAttempt[]) => Promise<"gone" | "next">
}

/** The refusal naming the smallest requirement: what the caller would have to free up for any provider. */
const smallerRefusal = (a: KeyBudgetExceeded, b: KeyBudgetExceeded) => (b.required < a.required ? b : a)

/**
 * What a request gets when no candidate answered: the smallest budget refusal when every candidate was refused;
 * otherwise 502 `NoProviderAvailable` listing the failed attempts and, after them, the providers the key's budget
 * refused (so a client sees why the failover stopped).
 */
export const exhausted = (
  what: string,
  attempts: ReadonlyArray<FailedAttempt>,
  refusals: ReadonlyArray<{ readonly provider: string; readonly refusal: KeyBudgetExceeded }>,
) => {
  const [first, ...rest] = refusals
  if (attempts.length === 0 && first !== undefined)
    return rest.map((r) => r.refusal).reduce(smallerRefusal, first.refusal)
  const refused = refusals.map(({ provider, refusal }) => ({ provider, code: refusal._tag, message: refusal.message }))
  return noProviderAvailable(what, [...attempts, ...refused])
}

/** Reserves `cost` for `key` at `target`; a budget refusal is returned, any other failure thrown. */
export const reserveAttempt = async (
  ctx: ChatContext,
  key: KeyInfo,
  target: Target,
  request: {
    readonly cost: bigint
    readonly model: string
    readonly stream: boolean
    readonly signal: AbortSignal
    /** False once an earlier attempt of this request reserved (it counted the request against the rate limit). */
    readonly countsRequest: boolean
    /** The most tokens the request can use, held against the key's tokens-per-minute limit while it runs. */
    readonly tokens: number
  },
): Promise<Attempt | KeyBudgetExceeded> => {
  const { cost, model, stream, signal, countsRequest, tokens } = request
  const held = { tokens, at: Date.now() }
  let reservationId: string
  try {
    reservationId = await runFacade(
      ctx.spend.reserve({ keyId: key.id, amount: cost, provider: target.address, model, countsRequest, ...held }),
    )
  } catch (e) {
    if (e instanceof KeyBudgetExceeded) return e
    throw e // a rate limit or a database failure ends the request
  }
  const started = Date.now()
  let settled: Promise<unknown> | undefined
  let exchange: ExchangeResult | undefined
  const settle = (s: Omit<Settlement, "reservationId" | "provider" | "model" | "stream" | "held">) => {
    const full = { ...s, reservationId, provider: target.address, model, stream, held }
    settled ??= runFacade(ctx.spend.settle(full)).catch(
      () => undefined, // a lost settle leaves the reservation, which the funding holder or the next start reconciles
    )
    return settled
  }
  const fetch = ctx.fetchFor(target.address, {
    onExchange: (x) => {
      exchange = x
      // An overrun (it ignored the output limit, or billed a plan dearer than the one reserved for) overshoots the
      // key's budget: the provider is tried only after the others until its cooldown ends, as the inference gateway does.
      if (x.record.fee > cost) coolOverrun(ctx.router, target.address, x.record.fee, cost)
      // Billed but unreadable to the end: the reserved maximum stands as the fee. A fee above the reservation is
      // logged as it is, never hidden.
      const fee = x.record.feeUnknown === true && x.record.fee < cost ? cost : x.record.fee
      void settle({
        fee,
        promptTokens: x.record.promptTokens,
        completionTokens: x.record.completionTokens,
        verification: x.level,
        verdict: x.record.verdict,
        latencyMs: x.record.durationMs,
        status: x.error === undefined ? 200 : 502,
        error: x.error?.message,
        chatId: x.record.chatId,
      })
    },
  })
  const settleUnbilled = (status: number, e: unknown) =>
    settle({
      fee: 0n,
      promptTokens: 0,
      completionTokens: 0,
      verification: undefined,
      verdict: tagOf(e),
      latencyMs: Date.now() - started,
      status,
      error: describeCause(e),
    })
  return {
    started,
    fetch,
    exchange: () => exchange,
    settled: () => settled,
    markUp: () => {
      if (exchange === undefined || exchange.record.fee <= cost) ctx.router.markUp(target.address)
    },
    settleUnbilled,
    failed: async (e, attempts) => {
      await (settled ?? settleUnbilled(providerFailureStatus(e), e))
      if (signal.aborted) return "gone"
      if (!attemptFailed(ctx.router, target.address, e, attempts))
        throw new HttpFailure(providerFailureStatus(e), describeCause(e), {
          code: tagOf(e),
          type: "provider_error",
          extra: { attempts },
        })
      return "next"
    },
  }
}
