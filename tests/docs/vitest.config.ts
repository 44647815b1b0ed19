import { packageTests } from "../../vitest.shared.js"

// The README runs share one devnet and run one after another (each in its own Node process).
export default packageTests({ include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 900_000 })
