/**
 * A whole pipeline for tests: the emulators, a config pointing at them, workers and a JobService on the
 * run's private redis-server with a fresh key prefix.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Redis } from "ioredis";
import { createConfig } from "../../src/core/config/load.js";
import type { Config } from "../../src/core/config/schema.js";
import {
  createJobService,
  jobServiceOptions,
  type JobService,
  type JobView,
} from "../../src/core/jobs/job-service.js";
import { startWorkers, type WorkerRuntime, type WorkerRuntimeDeps } from "../../src/core/jobs/workers.js";
import { silentLogger } from "../../src/core/log.js";
import { createRedis } from "../../src/core/redis.js";
import { createMediaServices } from "../../src/core/services.js";
import { startOfflineStack, type OfflineStack } from "../../src/emulators/offline-stack.js";
import { testRedisUrl, uniquePrefix } from "./redis.js";

/** Generated stand-in audio is kept here between runs (it only depends on the fixture). */
export const audioCacheDir = path.join(os.tmpdir(), "cdc-test-audio-cache");

export interface TestPipeline {
  config: Config;
  stack: OfflineStack;
  jobs: JobService;
  redis: Redis;
  dataDir: string;
  startWorkers(overrides?: Partial<WorkerRuntimeDeps>): Promise<WorkerRuntime>;
  /** Poll until the job is done, failed or cancelled. */
  waitForEnd(jobId: string, timeoutMs?: number): Promise<JobView>;
  close(): Promise<void>;
}

export async function createTestPipeline(
  configData: Record<string, Record<string, unknown>> = {},
): Promise<TestPipeline> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-pipeline-"));
  const stack = await startOfflineStack({ cacheDir: audioCacheDir });
  const prefix = uniquePrefix("p");
  const data: Record<string, unknown> = { dataDir, ...stack.configOverrides, redis: { prefix } };
  for (const [section, values] of Object.entries(configData)) {
    data[section] = { ...(data[section] ?? {}), ...values };
  }
  const { config } = createConfig(data, stack.env);
  const redis = createRedis({ url: testRedisUrl() }, "client");
  const producer = createRedis({ url: testRedisUrl() }, "producer");
  await new Promise<void>((resolve) =>
    producer.status === "ready" ? resolve() : producer.once("ready", () => resolve()),
  );
  const jobs = createJobService({ connection: producer, ...jobServiceOptions(config) });
  const runtimes: WorkerRuntime[] = [];
  const logger = silentLogger();
  return {
    config,
    stack,
    jobs,
    redis,
    dataDir,
    async startWorkers(overrides = {}) {
      const services = createMediaServices(config, logger);
      const runtime = await startWorkers({
        config,
        redisUrl: testRedisUrl(),
        logger,
        ...services,
        ...overrides,
      });
      runtimes.push(runtime);
      return runtime;
    },
    async waitForEnd(jobId, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const view = await jobs.status(jobId, { userId: 0, isAdmin: true });
        if (view.stage === "done" || view.stage === "failed" || view.stage === "cancelled") return view;
        if (Date.now() > deadline) throw new Error(`job ${jobId} still ${view.stage} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await Promise.all(runtimes.map((r) => r.close(5000)));
      await jobs.close();
      producer.disconnect();
      redis.disconnect();
      await stack.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
