/**
 * What every long-running command opens first: Redis (the configured one, or a private redis-server under
 * the data directory) and a JobService on a fail-fast producer connection.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { dataPaths } from "../core/config/data-paths.js";
import type { Config } from "../core/config/schema.js";
import { createJobService, jobServiceOptions, type JobService } from "../core/jobs/job-service.js";
import { createRedis, type RedisRole } from "../core/redis.js";
import { startEmbeddedRedis, type EmbeddedRedis } from "../core/redis-server.js";

export interface CoreRuntime {
  redisUrl: string;
  embedded?: EmbeddedRedis;
  jobs: JobService;
  /** Open another connection; it is closed by close(). */
  connect(role: RedisRole): Redis;
  close(): Promise<void>;
}

async function ready(connection: Redis, timeoutMs: number): Promise<void> {
  if (connection.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Redis did not answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    connection.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function openCore(config: Config, logger: Logger): Promise<CoreRuntime> {
  let embedded: EmbeddedRedis | undefined;
  let redisUrl = config.redis.url;
  if (redisUrl === "") {
    embedded = await startEmbeddedRedis({
      dir: dataPaths(config).redisDir,
      binary: config.redis.binary,
      logger,
    });
    redisUrl = embedded.url;
  }
  const connections: Redis[] = [];
  const connect = (role: RedisRole) => {
    const connection = createRedis({ url: redisUrl }, role);
    connection.on("error", (err) => logger.debug({ err }, "redis connection error"));
    connections.push(connection);
    return connection;
  };
  const producer = connect("producer");
  try {
    await ready(producer, 15_000);
  } catch (err) {
    for (const c of connections) c.disconnect();
    await embedded?.stop();
    throw err;
  }
  const jobs = createJobService({ connection: producer, ...jobServiceOptions(config) });
  let closed: Promise<void> | undefined;
  return {
    redisUrl,
    ...(embedded ? { embedded } : {}),
    jobs,
    connect,
    close() {
      closed ??= (async () => {
        await jobs.close().catch(() => undefined);
        for (const c of connections) c.disconnect();
        await embedded?.stop();
      })();
      return closed;
    },
  };
}
