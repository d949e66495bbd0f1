/**
 * Builds an HTTP app for a test on the run's private Redis: a fresh key prefix and data directory, a
 * real JobService and BurnService, and the config the test asks for. `close()` tears all of it down.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { createBurnService, type BurnService } from "../../../src/core/burn/burn-service.js";
import { createConfig } from "../../../src/core/config/load.js";
import type { Config } from "../../../src/core/config/schema.js";
import { createHttpApp, type HttpAppDeps } from "../../../src/core/http/app.js";
import { createLinkSigner, type LinkSigner } from "../../../src/core/http/link-signer.js";
import { createJobService, type JobService } from "../../../src/core/jobs/job-service.js";
import { silentLogger } from "../../../src/core/log.js";
import { createMetrics, type Metrics } from "../../../src/core/metrics.js";
import { createRedis } from "../../../src/core/redis.js";
import { createKeys } from "../../../src/core/jobs/keys.js";
import { createServicePauses } from "../../../src/core/service-pauses.js";
import { testRedisUrl, uniquePrefix } from "../../helpers/redis.js";

export const ADMIN_TOKEN = "test-admin-token-0123456789";
export const LINK_SECRET = "test-link-secret-0123456789abcdef";

export interface HttpFixture {
  app: FastifyInstance;
  config: Config;
  dataDir: string;
  prefix: string;
  redis: Redis;
  jobs: JobService;
  burn: BurnService;
  metrics: Metrics;
  signer: LinkSigner;
  close(): Promise<void>;
}

export function createHttpFixture(
  options: {
    http?: Record<string, unknown>;
    env?: NodeJS.ProcessEnv;
    deps?: Partial<HttpAppDeps>;
  } = {},
): Promise<HttpFixture> {
  return Promise.resolve(buildHttpFixture(options));
}

function buildHttpFixture(options: Parameters<typeof createHttpFixture>[0] = {}): HttpFixture {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-http-"));
  const prefix = uniquePrefix("http");
  const { config } = createConfig(
    { dataDir, redis: { prefix }, http: options.http ?? {} },
    { ADMIN_TOKEN, LINK_SIGNING_SECRET: LINK_SECRET, ...options.env },
  );
  const redis = createRedis({ url: testRedisUrl() }, "client");
  const jobs = createJobService({
    connection: redis,
    prefix,
    defaultFormat: "mp3",
    maxActiveJobsPerPerson: 2,
    maxQueueDepth: 100,
    dedupeSeconds: 60,
    keepHours: 1,
  });
  const burn = createBurnService({ connection: redis, prefix, capacitySectors: config.burn.capacitySectors });
  const metrics = createMetrics();
  const signer = createLinkSigner({ secret: LINK_SECRET, ttlHours: config.http.linkTtlHours });
  const app = createHttpApp({
    config,
    logger: silentLogger(),
    metrics,
    health: { checks: {} },
    ready: () => Promise.resolve({ ready: true, reasons: [] }),
    jobs,
    burn,
    pauses: createServicePauses(redis, createKeys(prefix)),
    version: "9.9.9-test",
    ...options.deps,
  });
  return {
    app,
    config,
    dataDir,
    prefix,
    redis,
    jobs,
    burn,
    metrics,
    signer,
    async close() {
      await app.close();
      await burn.close();
      await jobs.close();
      redis.disconnect();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
