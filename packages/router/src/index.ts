/**
 * @0g-compute/router — a self-hosted, verifying OpenAI-compatible router for teams (Node only): virtual keys with
 * scopes, budgets as reservations and per-minute limits; state (keys, spend, request log) in Postgres — embedded
 * PGlite by default, a Postgres server with `databaseUrl`.
 *
 * Effect API: `makeRouter` over `Directory` + `InferenceRequests` (from `@0g-compute/inference`) and the router's own
 * services `Database`, `Keys`, `Spend` (`routerStoreLayer`). Promise facade: `startRouter`, `openRouterStore`.
 */
export * from "./db.js"
export * from "./errors.js"
export * from "./funding.js"
export * from "./keys.js"
export * from "./migrations.js"
export * from "./router.js"
export { type Preferences, takePreferences } from "./routing.js"
export * from "./spend.js"
export * from "./store.js"
