/** Test helpers for the private redis-server started by global-setup.ts. */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";

/** URL of this run's private redis-server. */
export function testRedisUrl(): string {
  return inject("redisUrl");
}

/** A prefix no other test uses, so tests never see each other's keys. */
export function uniquePrefix(name = "t"): string {
  return `${name}-${randomBytes(4).toString("hex")}`;
}
