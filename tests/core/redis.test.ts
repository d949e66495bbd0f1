import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createRedis, reconnectDelay, redisOptionsFor } from "../../src/core/redis.js";
import { startEmbeddedRedis, RedisNotInstalledError } from "../../src/core/redis-server.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("embedded redis-server", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("starts on a unix socket with AOF and noeviction, answers, and stops leaving no process", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-emb-"));
    dirs.push(dir);
    const server = await startEmbeddedRedis({ dir });
    expect(server.url).toMatch(/^unix:\/\//);
    expect(alive(server.pid)).toBe(true);
    const client = createRedis({ url: server.url }, "client");
    expect(await client.ping()).toBe("PONG");
    expect(await client.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "noeviction"]);
    expect(await client.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    await client.set("k", "v");
    client.disconnect();
    await server.stop();
    await server.stop(); // idempotent
    expect(alive(server.pid)).toBe(false);
    expect(existsSync(path.join(dir, "redis.sock"))).toBe(false);
    const leftovers = execFileSync("ps", ["-eo", "pid,args"])
      .toString()
      .split("\n")
      .filter((l) => l.includes(dir));
    expect(leftovers).toEqual([]);
  });

  it("keeps data across a restart through the append-only file", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-emb-"));
    dirs.push(dir);
    let server = await startEmbeddedRedis({ dir });
    let client = createRedis({ url: server.url }, "client");
    await client.set("survives", "yes");
    client.disconnect();
    await server.stop();
    server = await startEmbeddedRedis({ dir });
    client = createRedis({ url: server.url }, "client");
    expect(await client.get("survives")).toBe("yes");
    client.disconnect();
    await server.stop();
  });

  it("says how to install redis-server when it is missing", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-emb-"));
    dirs.push(dir);
    const error = await startEmbeddedRedis({ dir, binary: "redis-server-not-installed" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RedisNotInstalledError);
    expect((error as Error).message).toContain("apt-get install -y redis-server");
    expect((error as Error).message).toContain("REDIS_URL");
  });
});

describe("connection settings per role", () => {
  it("lets workers and event listeners wait forever and makes producers fail fast", () => {
    expect(redisOptionsFor("worker").maxRetriesPerRequest).toBeNull();
    expect(redisOptionsFor("events").maxRetriesPerRequest).toBeNull();
    expect(redisOptionsFor("producer").maxRetriesPerRequest).toBe(1);
    expect(redisOptionsFor("producer").enableOfflineQueue).toBe(false);
  });

  it("backs off exponentially with jitter, capped at 5 s", () => {
    expect(reconnectDelay(1, () => 0)).toBe(100);
    expect(reconnectDelay(1, () => 1)).toBe(200);
    expect(reconnectDelay(20, () => 1)).toBe(5000);
    const samples = new Set(Array.from({ length: 20 }, () => reconnectDelay(5)));
    expect(samples.size).toBeGreaterThan(1);
  });
});
