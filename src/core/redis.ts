/**
 * Redis connections for every role (the embedded redis-server used when no REDIS_URL is set is in
 * redis-server.ts).
 *
 * Workers and QueueEvents block on Redis and must keep retrying forever (`maxRetriesPerRequest: null`);
 * producers (the bot submitting a job) should fail fast so a person gets an answer instead of a hang.
 */
import { Redis, type RedisOptions } from "ioredis";

/** What the connection is for. */
export type RedisRole = "worker" | "events" | "producer" | "client";

/** How to reach Redis: a URL (`redis://`, `rediss://`, `unix:///path`) or a unix socket path. */
export interface RedisTarget {
  url: string;
}

/** Reconnect delay in ms for attempt `times`: exponential, capped at 5 s, with full jitter. */
export function reconnectDelay(times: number, random: () => number = Math.random): number {
  const ceiling = Math.min(5000, 100 * 2 ** Math.min(times, 10));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** ioredis options for a role (exported so tests can check them). */
export function redisOptionsFor(role: RedisRole): RedisOptions {
  const base: RedisOptions = {
    retryStrategy: (times) => reconnectDelay(times),
    connectionName: `cdc-${role}`,
    lazyConnect: false,
  };
  switch (role) {
    case "worker":
    case "events":
      return { ...base, maxRetriesPerRequest: null, enableReadyCheck: false };
    case "producer":
      return { ...base, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 };
    case "client":
      return { ...base, maxRetriesPerRequest: 3 };
  }
}

/** Open a connection with the settings `role` needs. The caller closes it (`quit()`). */
export function createRedis(target: RedisTarget, role: RedisRole): Redis {
  const options = redisOptionsFor(role);
  if (target.url.startsWith("unix://")) {
    return new Redis({ ...options, path: target.url.slice("unix://".length) });
  }
  if (target.url.startsWith("/")) return new Redis({ ...options, path: target.url });
  return new Redis(target.url, options);
}

/**
 * Resolve once `client` is connected and ready for commands; reject with the first connection error
 * (a refused connection, a wrong password) or after `timeoutMs`. A producer connection refuses
 * commands until then (no offline queue), so a one-off check must wait for this first.
 */
export function waitUntilReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("error", onError);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => done();
    const onError = (err: Error) => done(err);
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    client.once("ready", onReady);
    client.once("error", onError);
  });
}
