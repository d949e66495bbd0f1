import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // The slow fault cases run with `npm run test:faults` (with the quick ones, and the one-minute storm).
    exclude: [
      "tests/e2e/faults/telegram-faults.test.ts",
      "tests/e2e/faults/sigterm.test.ts",
      "node_modules/**",
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    globalSetup: ["tests/helpers/global-setup.ts"],
  },
});
