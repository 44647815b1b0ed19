export * from "./accounts.js"
export * from "./devnet.js"
export * from "./inference/index.js"
export * from "./faults/index.js"
