/**
 * The statements of the Spend service (spend.ts says what each does and why each is one statement) and the bounds its
 * writes are kept within.
 */
import { Schedule } from "effect"

/** int4: token counts past it (a provider reporting absurd usage) are clamped, so the fee is still recorded. */
export const MAX_INT = 2_147_483_647
/** Postgres text holds no NUL: a caller's model name or a provider's error text carrying one must not fail a write. */
export const text = (v: string) => v.replaceAll("\0", "")
export const textOrNull = (v: string | undefined) => (v === undefined ? null : text(v))
export const int4 = (n: number) => (Number.isFinite(n) ? Math.min(Math.max(0, Math.round(n)), MAX_INT) : 0)

export const RESERVE = `
WITH k AS (
  UPDATE router_keys SET
    reserved = reserved + $2::numeric,
    spent_day = CASE WHEN day = $3 THEN spent_day ELSE 0 END, day = $3,
    spent_month = CASE WHEN month = $4 THEN spent_month ELSE 0 END, month = $4,
    minute_requests = CASE WHEN minute = $5 THEN minute_requests ELSE 0 END + $10::integer,
    minute_tokens = LEAST(${MAX_INT}, (CASE WHEN minute = $5 THEN minute_tokens ELSE 0 END)::bigint
      + CASE WHEN tpm IS NULL THEN 0 ELSE LEAST($11::integer, tpm) END),
    minute = $5,
    last_used_at = $6
  WHERE id = $1
    AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $6)
    AND (budget_total IS NULL OR spent_total + reserved + $2::numeric <= budget_total)
    AND (budget_day IS NULL OR (CASE WHEN day = $3 THEN spent_day ELSE 0 END) + reserved + $2::numeric <= budget_day)
    AND (budget_month IS NULL OR (CASE WHEN month = $4 THEN spent_month ELSE 0 END) + reserved + $2::numeric <= budget_month)
    AND (rpm IS NULL OR (CASE WHEN minute = $5 THEN minute_requests ELSE 0 END) + $10::integer <= rpm)
    AND (tpm IS NULL OR (CASE WHEN minute = $5 THEN minute_tokens ELSE 0 END) < tpm)
  RETURNING id
)
INSERT INTO router_reservations (id, key_id, amount, provider, model, created_at, alive_until)
SELECT $7, k.id, $2::numeric, $8, $9, $6, $12 FROM k
RETURNING id`

export const SETTLE = `
WITH r AS (
  DELETE FROM router_reservations WHERE id = $1 RETURNING key_id, amount
), k AS (
  UPDATE router_keys SET
    reserved = router_keys.reserved - r.amount,
    spent_total = spent_total + $2::numeric,
    spent_day = CASE WHEN day = $3 THEN spent_day ELSE 0 END + $2::numeric, day = $3,
    spent_month = CASE WHEN month = $4 THEN spent_month ELSE 0 END + $2::numeric, month = $4,
    minute_tokens = LEAST(${MAX_INT}, GREATEST(0, (CASE WHEN minute = $5 THEN minute_tokens ELSE 0 END)::bigint
      - CASE WHEN minute = $5 AND $19::bigint = $5 AND tpm IS NOT NULL THEN LEAST($20::integer, tpm) ELSE 0 END)
      + $6::bigint),
    minute_requests = CASE WHEN minute = $5 THEN minute_requests ELSE 0 END,
    minute = $5
  FROM r WHERE router_keys.id = r.key_id
  RETURNING router_keys.id
)
INSERT INTO router_requests (at, key_id, provider, model, stream, prompt_tokens, completion_tokens, fee, reserved,
  verification, verdict, latency_ms, status, error, chat_id)
SELECT $7, r.key_id, $8, $9, $10, $11, $12, $2::numeric, r.amount, $13, $14, $15, $16, $17, $18 FROM r
RETURNING id`

export const RECONCILE = `
WITH stale AS (
  SELECT * FROM router_reservations WHERE alive_until < $1 AND amount > 0 FOR UPDATE
), r AS (
  UPDATE router_reservations SET amount = 0 FROM stale
    WHERE router_reservations.id = stale.id AND router_reservations.amount > 0 RETURNING stale.*
), purged AS (
  DELETE FROM router_reservations WHERE amount = 0 AND alive_until < $3
), s AS (
  SELECT key_id, SUM(amount) AS amount FROM r GROUP BY key_id
), k AS (
  UPDATE router_keys SET reserved = router_keys.reserved - s.amount FROM s WHERE router_keys.id = s.key_id
  RETURNING router_keys.id
)
INSERT INTO router_requests (at, key_id, provider, model, fee, reserved, verdict, status, error)
SELECT $2, r.key_id, r.provider, r.model, 0, r.amount, 'Reconciled', 0,
  'released: the request that reserved this was still open after the deadline (its router stopped mid-request)'
FROM r
RETURNING id`

/**
 * How long a released reservation's row is kept for its request's late settle (counted from the reservation).
 */
export const RELEASED_KEPT_MS = 24 * 3600_000

/**
 * A settle that fails (the database restarting, a connection cut) is retried for about 25 s: given up, the request's
 * fee would be lost to the key's budget and the log (its reservation is later released with fee 0). The statement is
 * atomic and deletes its reservation, so a retry after a commit whose answer was lost settles nothing twice.
 */
export const SETTLE_RETRY = { times: 8, schedule: Schedule.exponential(100) }

/** The longest a request is kept alive by its router's heartbeat (no answer takes this long). */
export const MAX_ALIVE_MS = 6 * 3600_000

export const TOUCH = `UPDATE router_reservations SET alive_until = $2
  WHERE amount > 0 AND id = ANY(string_to_array($1::text, ',')) RETURNING id`
