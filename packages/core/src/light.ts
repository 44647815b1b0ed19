/**
 * The part of core that needs only `effect` (no ethers): amounts and units, the error catalogue, network presets and the
 * Schemas. A bundle that must start fast (the CLI's `--help`) imports this entry statically and the rest lazily.
 */
export * from "./amounts.js"
export * from "./errors.js"
export * from "./networks.js"
export * from "./schemas.js"
