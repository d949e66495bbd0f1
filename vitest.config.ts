import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // The slow fault cases run with `npm run test:faults` (with the quick ones, and the one-minute storm).
    exclude: [
      "tests/e2e/faults/telegram-faults.test.ts",
      "tests/e2e/faults/sigterm.test.ts",
      "tests/e2e/faults/service-kill.test.ts",
      "node_modules/**",
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two files at a time on this project's 2-core machines (vitest's default would be one): most of the
    // suite waits on timers, stand-ins and child processes rather than the CPU.
    maxWorkers: 2,
    globalSetup: ["tests/helpers/global-setup.ts"],
  },
});
