import { defineConfig } from "vitest/config"

// The README runs share one devnet and run one after another (each in its own Node process).
export default defineConfig({
  test: { include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 900_000 },
})
