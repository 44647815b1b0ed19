/**
 * @0g-compute/sdk — browser-safe entry. `createBroker` bundles the fine-tuning facade, which reads and writes files, so
 * it lives in `@0g-compute/sdk/node`; under Node (the `node` export condition) `@0g-compute/sdk` resolves to that entry.
 * In a browser, use the browser-safe entries of `@0g-compute/contracts` (ledger), `@0g-compute/inference` and
 * `@0g-compute/fine-tuning` directly.
 */
export type { Broker, BrokerOptions } from "./node/index.js"
