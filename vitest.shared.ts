import { defineConfig, type ViteUserConfig } from "vitest/config"

type TestOptions = NonNullable<ViteUserConfig["test"]>

/**
 * The one vitest configuration of the workspace's packages: tests beside the code (`src`) and in `test`. Most suites
 * start anvil, devnet emulators or a browser in their hooks, hence the long hook timeout; a suite that needs other
 * settings passes them as `overrides`.
 */
export const packageTests = (overrides: TestOptions = {}) =>
  defineConfig({
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      ...overrides,
    },
  })
