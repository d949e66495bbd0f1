/**
 * A private redis-server for one benchmark: a free port on 127.0.0.1, data under a temp dir that goes
 * away with it. Never the shared server on 6379, so a benchmark cannot disturb (or be disturbed by) it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedRedis } from "../src/core/redis-server.js";

export interface BenchRedis {
  url: string;
  pid: number;
  /** Stop the server and remove its directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Start the server. AOF stays on (everysec), as the service's own embedded Redis runs it, so writes cost
 * what they cost in production.
 */
export async function startBenchRedis(): Promise<BenchRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-bench-redis-"));
  try {
    const redis = await startEmbeddedRedis({ dir, port: 0, appendOnly: true });
    let stopping: Promise<void> | undefined;
    return {
      url: redis.url,
      pid: redis.pid,
      stop() {
        stopping ??= redis.stop().finally(() => rmSync(dir, { recursive: true, force: true }));
        return stopping;
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
