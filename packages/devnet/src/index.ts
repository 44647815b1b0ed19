export * from "./accounts.js"
export * from "./devnet.js"
export * from "./faults/index.js"
export * from "./inference/index.js"
