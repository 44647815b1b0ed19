/** The scale tests' assertions, shared by the PGlite and the Postgres suite. */
import { Schema } from "effect"
import { expect } from "vitest"
import { admin, keyStates, neuron, type Outcome, type ScaleDevnet, type TestKey } from "./scale.js"

export interface LogRow {
  readonly keyId: string
  readonly status: number
  readonly verdict: string
  readonly fee: bigint
  readonly reserved: bigint
  readonly chatId: string | undefined
}

const Requests = Schema.Struct({
  data: Schema.Array(
    Schema.Struct({
      key_id: Schema.String,
      status: Schema.Number,
      verdict: Schema.String,
      fee: Schema.String,
      reserved: Schema.String,
      chat_id: Schema.NullOr(Schema.String),
    }),
  ),
})

/** The request log through the admin API (at most 1 000 rows: enough for the PGlite suite). */
export const requestLog = async (url: string): Promise<LogRow[]> => {
  const rows = (await admin(url, "/admin/requests?limit=1000", Requests)).data
  expect(rows.length).toBeLessThan(1000)
  return rows.map((r) => ({
    keyId: r.key_id,
    status: r.status,
    verdict: r.verdict,
    fee: neuron(r.fee),
    reserved: neuron(r.reserved),
    chatId: r.chat_id ?? undefined,
  }))
}

/**
 * No key spent more than its budget — not by a single neuron — nothing is left reserved, every binding key was refused
 * at least once (its budget did bind) and no other key ever was.
 */
export const expectWithinBudgets = async (
  url: string,
  keys: ReadonlyArray<TestKey>,
  outcomes: ReadonlyArray<Outcome>,
) => {
  const states = new Map((await keyStates(url)).map((s) => [s.id, s]))
  const generous = 10n ** 18n
  for (const k of keys) {
    const s = states.get(k.id)
    expect(s?.budget).toBe(k.budget)
    expect(s?.spent ?? -1n).toBeLessThanOrEqual(k.budget)
    expect(s?.reserved).toBe(0n)
    const refused = outcomes.filter((o) => o.key === k.id && o.status === 402).length
    if (k.budget < generous) expect(refused).toBeGreaterThan(0)
    else expect(refused).toBe(0)
  }
}

/** Every answer a client saw with status 200 is in the log exactly once. */
export const expectLoggedOnce = (outcomes: ReadonlyArray<Outcome>, log: ReadonlyArray<LogRow>) => {
  const count = new Map<string, number>()
  for (const r of log) if (r.chatId !== undefined) count.set(r.chatId, (count.get(r.chatId) ?? 0) + 1)
  const answered = outcomes.filter((o) => o.status === 200)
  expect(answered.length).toBeGreaterThan(0)
  const missing = answered.filter((o) => o.chatId === undefined || count.get(o.chatId) !== 1)
  expect(missing).toEqual([])
}

/**
 * Σ logged fees = what the providers report as unsettled + what settlement moved on chain (the fall of the user's
 * ledger total since `totalBefore`); each logged fee is what its provider billed; settlement did happen.
 */
export const expectFeesAddUp = async (net: ScaleDevnet, log: ReadonlyArray<LogRow>, totalBefore: bigint) => {
  const logged = log.reduce((s, r) => s + r.fee, 0n)
  const settled = totalBefore - (await net.ledgerTotal())
  const unsettled = net.unsettled()
  expect(settled).toBeGreaterThan(0n)
  expect(logged).toBeGreaterThan(0n)
  expect(logged).toBe(unsettled + settled)
  for (const r of log) if (r.chatId !== undefined) expect(r.fee).toBe(net.billed.get(r.chatId))
  return { logged, settled, unsettled }
}
