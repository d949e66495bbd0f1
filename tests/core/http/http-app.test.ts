import net from "node:net";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createHealthChecksForTest } from "./health-fixture.js";
import { storeRunningCollection } from "../burn/burn-fixture.js";
import { createReadiness, programCheck, redisCheck } from "../../../src/core/http/health.js";
import { createLogger } from "../../../src/core/log.js";
import { createRedis } from "../../../src/core/redis.js";
import { testRedisUrl } from "../../helpers/redis.js";
import { createHttpFixture, type HttpFixture } from "./http-fixture.js";

const fixtures: HttpFixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.close();
});
async function fixture(options: Parameters<typeof createHttpFixture>[0] = {}) {
  const f = await createHttpFixture(options);
  fixtures.push(f);
  return f;
}

/** A TCP port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("GET /healthz", () => {
  it("answers 200 with every check when Redis and the programs are there", async () => {
    const live = createRedis({ url: testRedisUrl() }, "producer");
    await new Promise((resolve) => live.once("ready", resolve));
    const f = await fixture({
      deps: { health: { checks: { redis: redisCheck(live), ffmpeg: programCheck("ffmpeg") } } },
    });
    try {
      const res = await f.app.inject({ url: "/healthz" });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        status: "ok",
        version: "9.9.9-test",
        checks: {
          redis: { ok: true },
          ffmpeg: { ok: true, detail: expect.stringMatching(/^ffmpeg version/) },
        },
      });
    } finally {
      live.disconnect();
    }
  });

  it("answers 503 naming the dependency that is down", async () => {
    const dead = createRedis({ url: `redis://127.0.0.1:${await deadPort()}` }, "producer");
    dead.on("error", () => undefined);
    const f = await fixture({
      deps: {
        health: { checks: { redis: redisCheck(dead), cdrdao: programCheck("no-such-cdrdao-here") } },
      },
    });
    try {
      const res = await f.app.inject({ url: "/healthz" });
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.status).toBe("down");
      expect(body.checks.redis.ok).toBe(false);
      expect(body.checks.cdrdao).toEqual({ ok: false, detail: "no-such-cdrdao-here is not installed" });
    } finally {
      dead.disconnect();
    }
  });

  it("counts a hung check as down instead of hanging", async () => {
    const f = await fixture({ deps: { health: { checks: createHealthChecksForTest() } } });
    const res = await f.app.inject({ url: "/healthz" });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.hung).toEqual({ ok: false, detail: "no answer within 2000 ms" });
  }, 10_000);
});

describe("GET /readyz", () => {
  it("is ready when connected, running and under the queue limit", async () => {
    const ready = createReadiness({
      connections: { redis: { status: "ready" } },
      running: { workers: () => true },
      depth: () => Promise.resolve(3),
      maxQueueDepth: 150,
    });
    const f = await fixture({ deps: { ready } });
    const res = await f.app.inject({ url: "/readyz" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ready", reasons: [] });
  });

  it("answers 503 with the reasons otherwise", async () => {
    let depth = 3;
    let polling = false;
    const ready = createReadiness({
      connections: { redis: { status: "ready" } },
      running: { "bot polling": () => polling },
      depth: () => Promise.resolve(depth),
      maxQueueDepth: 150,
    });
    const f = await fixture({ deps: { ready } });
    let res = await f.app.inject({ url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json().reasons).toEqual(["bot polling is not running"]);
    polling = true;
    depth = 151;
    res = await f.app.inject({ url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json().reasons).toEqual(["151 collections are waiting (limit 150)"]);
    const down = createReadiness({ connections: { redis: { status: "reconnecting" } }, maxQueueDepth: 1 });
    expect(await down()).toEqual({ ready: false, reasons: ["redis is not connected (reconnecting)"] });
  });
});

describe("GET /metrics", () => {
  it("serves the app's own registry with queue counts sampled at scrape time", async () => {
    const f = await fixture();
    await storeRunningCollection(f.redis, f.prefix);
    await f.app.inject({ url: "/healthz" });
    const res = await f.app.inject({ url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('cdc_queue_jobs{queue="collections",state="waiting"} 1');
    expect(res.body).toContain('cdc_queue_jobs{queue="burn",state="waiting"} 0');
    expect(res.body).toContain("cdc_process_cpu_seconds_total");
    expect(res.body).toMatch(
      /cdc_http_request_duration_seconds_count\{route="\/healthz",method="GET",status="200"\} 1/,
    );
  });
});

describe("request handling", () => {
  it("echoes a sane x-request-id, makes one otherwise, and logs it on every line", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const f = await fixture({ deps: { logger: createLogger({ destination: sink, level: "info" }) } });
    const given = await f.app.inject({ url: "/healthz", headers: { "x-request-id": "abc-123" } });
    expect(given.headers["x-request-id"]).toBe("abc-123");
    const made = await f.app.inject({ url: "/healthz", headers: { "x-request-id": "bad id\nwith newline" } });
    expect(made.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const token = f.signer.sign("zzzzzzz");
    await f.app.inject({ url: `/files/${token}` });
    const requestLines = lines.filter((l) => l.msg === "request");
    expect(requestLines.map((l) => l.reqId)).toEqual([
      "abc-123",
      made.headers["x-request-id"],
      expect.any(String),
    ]);
    expect(requestLines[2]).toMatchObject({ route: "/files/:token", statusCode: 404 });
    // The download token is a credential: it never reaches the log.
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it("hides the details of a 500 and answers unknown routes with JSON 404", async () => {
    const f = await fixture();
    f.app.get("/boom", () => {
      throw new Error("secret database password in a message");
    });
    const res = await f.app.inject({ url: "/boom" });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: "internal error", requestId: res.headers["x-request-id"] });
    const missing = await f.app.inject({ url: "/nope" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: "not found" });
  });

  it("sends security headers", async () => {
    const f = await fixture();
    const res = await f.app.inject({ url: "/healthz" });
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["x-frame-options"]).toBe("SAMEORIGIN");
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
  });
});
