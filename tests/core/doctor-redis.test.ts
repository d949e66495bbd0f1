import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createConfig } from "../../src/core/config/load.js";
import { runDoctor } from "../../src/core/doctor.js";
import { testRedisUrl } from "../helpers/redis.js";

describe("doctor with REDIS_URL", () => {
  it("reports OK for a reachable REDIS_URL", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-doc-redis-"));
    try {
      const { config } = createConfig({ dataDir }, { REDIS_URL: testRedisUrl() });
      const results = await runDoctor({ config, role: "bot", configSource: "test" });
      const redis = results.find((r) => r.name === "redis");
      expect(redis).toMatchObject({ status: "ok", detail: expect.stringMatching(/^PONG, version \d/) });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
