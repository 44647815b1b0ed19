/**
 * @0g-compute/router — a self-hosted, verifying OpenAI-compatible router for teams (Node only): virtual keys with
 * scopes, budgets as reservations and per-minute limits; state (keys, spend, request log) in Postgres — embedded
 * PGlite by default, a Postgres server with `databaseUrl`.
 *
 * Effect API: `makeRouter` over `Directory` + `InferenceRequests` (from `@0g-compute/inference`) and the router's own
 * services `Database`, `Keys`, `Spend` (`routerStoreLayer`). Promise facade: `startRouter`, `openRouterStore`.
 */
export { Database, type DatabaseOptions, type Driver, type Row, type Sql } from "./db.js"
export {
  type BudgetPeriod,
  DatabaseFailed,
  InvalidKeyOptions,
  KeyBudgetExceeded,
  type KeyError,
  KeyNotFound,
  KeyRateLimited,
  type KeyRefusal,
  KeyRejected,
  KeyScopeDenied,
  RouterListenFailed,
} from "./errors.js"
export {
  DEFAULT_FUNDING_INTERVAL_MS,
  FUNDING_LOCK_ID,
  type FundingAction,
  type FundingEntry,
  type FundingLeader,
  type FundingLeaderOptions,
  FundingLog,
  type FundingLogShape,
  FundingReport,
  type FundingView,
  fundingJson,
  type RouterFundingOptions,
  startFundingLeader,
} from "./funding.js"
export {
  type CreatedKey,
  type CreateKeyOptions,
  hashSecret,
  type KeyInfo,
  Keys,
  type KeysShape,
  keyJson,
  SECRET_PREFIX,
} from "./keys.js"
export { MIGRATIONS, type Migration, migrate } from "./migrations.js"
export {
  makeRouter,
  type RouterError,
  type RouterHandle,
  type RouterOptions,
  routerStoreLayer,
  startRouter,
} from "./router.js"
export { type Preferences, takePreferences } from "./routing.js"
export {
  type Breakdown,
  DEFAULT_RESERVATION_DEADLINE_MS,
  type LoggedRequest,
  ReservationDeadline,
  type ReserveRequest,
  type Settlement,
  Spend,
  type SpendShape,
} from "./spend.js"
export { openRouterStore, type RouterStore, withRouterStore } from "./store.js"
