/**
 * The whole fault suite (tests/e2e/faults); `npm test` runs its quick cases, this config all of them. Long cases (a
 * one-minute Telegram 429 storm) run only with CDC_LONG_FAULTS=1, which `npm run test:faults` sets.
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["tests/e2e/faults/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    // Fault cases mount filesystems and kill processes: one file at a time keeps them from starving each other.
    fileParallelism: false,
  },
});
