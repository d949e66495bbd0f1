import type { HealthCheck } from "../../../src/core/http/health.js";

/** One healthy check and one that never answers. */
export function createHealthChecksForTest(): Record<string, HealthCheck> {
  return {
    fine: () => Promise.resolve({ ok: true }),
    hung: () => new Promise(() => undefined),
  };
}
