/**
 * SIGTERM while the service is still starting: what start-up had started (the embedded redis-server,
 * the workers) is stopped again, and nothing is left running.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startService, StartInterrupted } from "../src/commands/service.js";
import { dataPaths } from "../src/core/config/data-paths.js";
import { createConfig } from "../src/core/config/load.js";
import { createLogger } from "../src/core/log.js";
import { redisServersOn } from "../src/core/redis-server.js";
import { createShutdown } from "../src/core/shutdown.js";
import { startOfflineStack, type OfflineStack } from "../src/emulators/offline-stack.js";
import { audioCacheDir } from "./helpers/pipeline.js";
import { eventually, processesMentioning } from "./helpers/processes.js";

describe("a shutdown asked for during start-up", () => {
  let stack: OfflineStack | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await stack?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("stops the redis-server start-up had started and leaves nothing running", async () => {
    stack = await startOfflineStack({ cacheDir: audioCacheDir });
    dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-startstop-"));
    const { config } = createConfig(
      { dataDir, ...stack.configOverrides, http: { enabled: false }, shutdownDeadlineSeconds: 5 },
      stack.env, // no REDIS_URL: the embedded redis-server
    );
    const logger = createLogger({ level: "silent" });
    const shutdown = createShutdown({ deadlineMs: 5000, logger });
    const starting = startService({ config, role: "worker", logger, version: "0.0.0-test", shutdown });
    shutdown.waitForStartup(starting);
    const redisDir = dataPaths(config).redisDir;
    // The signal comes once the redis-server runs, while the rest is still starting.
    expect(await eventually(() => redisServersOn(redisDir).length === 1, 10_000, 5)).toBe(true);
    const clean = shutdown.run("SIGTERM");
    await expect(starting).rejects.toBeInstanceOf(StartInterrupted);
    expect(await clean).toBe(true);
    expect(redisServersOn(redisDir)).toEqual([]);
    expect(processesMentioning(dataDir)).toEqual([]);
  });
});
