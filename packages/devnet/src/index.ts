export * from "./accounts.js"
export * from "./devnet.js"
