export * from "./config.js"
export * from "./directory.js"
export * from "./errors.js"
export * from "./service-view.js"
