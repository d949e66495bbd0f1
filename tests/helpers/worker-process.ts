/**
 * A worker in its own process, for tests that kill it. Reads the config data and Redis URL from the
 * environment, prints "ready" when its workers run, and closes cleanly on SIGTERM.
 */
import { createConfig } from "../../src/core/config/load.js";
import { startWorkers } from "../../src/core/jobs/workers.js";
import { createLogger } from "../../src/core/log.js";
import { createMediaServices } from "../../src/core/services.js";

const data = JSON.parse(process.env.CDC_TEST_CONFIG ?? "{}") as Record<string, unknown>;
const { config } = createConfig(data, process.env);
const logger = createLogger({ level: "warn", pretty: false });
const runtime = await startWorkers({
  config,
  redisUrl: process.env.CDC_TEST_REDIS_URL ?? "",
  logger,
  ...createMediaServices(config, logger),
  workerOptions: { lockDuration: 3000, stalledInterval: 1000, maxStalledCount: 5 },
});
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void runtime.close().then(() => process.exit(0));
});
