/**
 * One private redis-server for the whole test run, on a free TCP port under a temp dir (never the
 * shared one on 6379). Tests isolate themselves with their own key prefixes / queue names.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedRedis, type EmbeddedRedis } from "../../src/core/redis-server.js";

let redis: EmbeddedRedis | undefined;
let dir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  dir = mkdtempSync(path.join(os.tmpdir(), "cdc-test-redis-"));
  redis = await startEmbeddedRedis({ dir, port: 0, appendOnly: false });
  project.provide("redisUrl", redis.url);
  process.env.CDC_TEST_REDIS_URL = redis.url;
}

export async function teardown(): Promise<void> {
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
