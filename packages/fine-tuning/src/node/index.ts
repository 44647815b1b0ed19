/** @0g-compute/fine-tuning/node — files, verification, decryption, the pipeline and the Promise facade. */
export * from "../index.js"
export * from "./client.js"
export * from "./dataset.js"
export * from "./model.js"
export * from "./pipeline.js"
