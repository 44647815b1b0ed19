import { packageTests } from "../../vitest.shared.js"

// One global setup builds the library packages, packs them and installs the tarballs into a blank project; both test
// files then read that project (its path is handed over with `provide`/`inject`).
export default packageTests({
  include: ["test/**/*.test.ts"],
  globalSetup: ["./test/global-setup.ts"],
  testTimeout: 120_000,
  hookTimeout: 300_000,
})
